import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AuditPolicySchema, auditPoliciesChangedChannel, auditPoliciesKey } from '@falaj/contracts';
import { RedisHashMirror, createRedis } from '@falaj/messaging';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';

/**
 * Which tenants must be audited: the registry's records (set by the admin API), followed in
 * memory as quotas are, so the request path reads a Set. Until the first read the gateway is not
 * ready (it would not know whom to refuse); after that a Redis that is away keeps the last good view.
 */
class AuditPolicyMirror extends RedisHashMirror {
  private readonly logger = new Logger(AuditPolicyReader.name);
  mustAudit: ReadonlySet<string> = new Set();
  loaded = false;

  protected apply(fields: Record<string, string>): void {
    const tenants = new Set<string>();
    for (const [tenantId, raw] of Object.entries(fields)) {
      let policy;
      try {
        policy = AuditPolicySchema.safeParse(JSON.parse(raw));
      } catch {
        policy = { success: false as const };
      }
      // A field that is not a policy is taken as must-audit: refusing is the safe side.
      if (!policy.success) this.logger.warn({ tenant: tenantId }, 'malformed audit policy record: taken as mustAudit');
      if (!policy.success || policy.data.mustAudit) tenants.add(tenantId);
    }
    this.mustAudit = tenants;
    this.loaded = true;
  }

  protected reloadFailed(error: Error): void {
    this.logger.warn(`audit policy reload failed: ${error.message}`);
  }
}

@Injectable()
export class AuditPolicyReader implements OnModuleInit, OnApplicationShutdown {
  private readonly mirror: AuditPolicyMirror;
  private readonly redis;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.redis = createRedis(config.redis, `${config.gatewayId}:audit-policies`);
    this.mirror = new AuditPolicyMirror(this.redis, createRedis(config.redis, `${config.gatewayId}:audit-policies-sub`), auditPoliciesKey(config.prefix), auditPoliciesChangedChannel(config.prefix));
  }

  async onModuleInit(): Promise<void> {
    await this.mirror.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.mirror.stop();
    await this.redis.quit().catch(() => undefined);
  }

  /** A plain read, for the per-request path. */
  mustAudit(tenantId: string): boolean {
    return this.mirror.mustAudit.has(tenantId);
  }

  /** For readiness: the policies were read once at least. */
  readiness(): { mustAuditTenants: number } {
    if (!this.mirror.loaded) throw new Error('audit policies not read from Redis yet');
    return { mustAuditTenants: this.mirror.mustAudit.size };
  }
}
