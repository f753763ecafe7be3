import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { PayloadLoggingSchema, payloadPoliciesChangedChannel, payloadPoliciesKey, type AuditEvent, type PayloadLogging, type TensorPayload } from '@falaj/contracts';
import { RedisHashMirror } from '@falaj/messaging';
import { PayloadKeys } from './payload-keys';
import { effectivePolicy, payloadRecordOf } from './payload-record.policy';

/** The registry's payload policies (payloadPoliciesKey), followed in memory: a lookup per call, no Redis. */
class PayloadPolicies extends RedisHashMirror {
  private readonly logger = new Logger(PayloadPolicies.name);
  tenants = new Map<string, PayloadLogging>();
  models = new Map<string, PayloadLogging>();

  protected apply(fields: Record<string, string>): void {
    const tenants = new Map<string, PayloadLogging>();
    const models = new Map<string, PayloadLogging>();
    for (const [field, value] of Object.entries(fields)) {
      const policy = PayloadLoggingSchema.safeParse(value);
      if (!policy.success) continue;
      if (field.startsWith('tenant:')) tenants.set(field.slice('tenant:'.length), policy.data);
      else if (field.startsWith('model:')) models.set(field.slice('model:'.length), policy.data);
    }
    this.tenants = tenants;
    this.models = models;
  }

  protected reloadFailed(error: Error): void {
    // The last policies stay: Redis being away must not turn a tenant's logging on or off.
    this.logger.warn(`payload policies reload failed: ${error.message}`);
  }
}

/**
 * Payload logging at the edge that answered a call (docs/audit.md#payload-logging-by-policy): the policy of the
 * call's tenant and model, applied to its request and response tensors before the audit event
 * that carries the record leaves the process. Under `none` (every tenant without a record) it is
 * two map lookups and nothing else.
 */
export class PayloadRecorder {
  private readonly logger = new Logger(PayloadRecorder.name);
  private readonly policies: PayloadPolicies;
  private readonly keys: PayloadKeys;
  private readonly warned = new Set<string>();

  constructor(redis: Redis, subscriber: Redis, prefix: string, secret: string | undefined) {
    this.policies = new PayloadPolicies(redis, subscriber, payloadPoliciesKey(prefix), payloadPoliciesChangedChannel(prefix));
    this.keys = new PayloadKeys(secret);
  }

  start(): Promise<void> {
    return this.policies.start();
  }

  stop(): Promise<void> {
    return this.policies.stop();
  }

  policyFor(tenantId: string, model: string): PayloadLogging {
    const { tenants, models } = this.policies;
    if (tenants.size === 0 && models.size === 0) return 'none';
    return effectivePolicy(tenants.get(tenantId), models.get(`${tenantId}/${model}`));
  }

  /** The event with its payload record under the call's policy (the same event under `none`). */
  attach(event: AuditEvent, request: readonly TensorPayload[], response: readonly TensorPayload[]): AuditEvent {
    const policy = this.policyFor(event.tenantId, event.model);
    if (policy === 'none') return event;
    if (policy !== 'redact' && !this.keys.available) {
      // Fail closed: no key, no record (never the raw payload instead).
      if (!this.warned.has(event.tenantId)) this.logger.error({ tenantId: event.tenantId, policy }, 'FALAJ_PAYLOAD_KEY is not set: no payload record is kept for this tenant');
      this.warned.add(event.tenantId);
      return event;
    }
    const payload = payloadRecordOf(policy, event.tenantId, event.eventId, request, response, this.keys);
    return payload === null ? event : { ...event, payload };
  }
}
