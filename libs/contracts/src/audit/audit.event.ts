import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { PayloadRecordSchema } from '../payload/payload-record';
import { escapedText, storableText, toStorableText } from '../text/storable-text';

/** The audit topic of a deployment whose every region is audited in one store (no FALAJ_REGION_STORES), and of events sent before an edge knew the map. */
export const auditTopic = (prefix: string): string => `${prefix}.audit.v1`;
/** Where every region's own audit topic is named (a prefixed ACL on it covers them all, and nothing else). */
export const regionAuditTopicNamespace = (prefix: string): string => `${prefix}.audit.region.`;
/** A region's own audit topic, once regions have stores of their own: its events travel apart from other regions'. */
export const regionAuditTopic = (prefix: string, region: string): string => `${regionAuditTopicNamespace(prefix)}${region}.v1`;

/** The largest `int` Postgres stores (the audit row's and the registry's version columns). */
const MAX_INT4 = 2_147_483_647;

/**
 * One inference call, as the gateway saw it. Keyed on Kafka by request id. Validated on publish
 * and on receipt, field by field against what `audit_log` can store (issue 11: one NUL in a
 * model name failed a whole batch insert): what came from outside the platform (the client's
 * id, the model named in the URL, the token's subject, error and placement texts) is recorded
 * escaped and cut to its column, so a hostile call is still audited; what the platform made
 * itself (tenant, pool, regions) is refused when Postgres could not store it, a producer's bug.
 */
export const AuditEventSchema = z.object({
  /**
   * Generated where the call was answered, one per call: the audit row's key. A redelivery of
   * the event carries the same id (and is stored once); two calls that share a client request id
   * do not.
   */
  eventId: z.uuid(),
  /** The client's id (`x-request-id`, OIP `id`, the Kafka request id): echoed and searchable, not unique. */
  requestId: escapedText({ max: 200 }),
  tenantId: storableText({ max: 63 }),
  subject: escapedText({ max: 200 }),
  /** As the caller named it, which need not be a model name (`%00`): a 404 is audited too. */
  model: escapedText({ max: 128 }),
  version: z.number().int().positive().max(MAX_INT4).nullable(),
  pool: storableText({ max: 64 }).nullable(),
  /** `batch`: a row of a batch job; `async`: a `Prefer: respond-async` call (a one-row job). */
  protocol: z.enum(['rest', 'grpc', 'kafka', 'batch', 'async']),
  status: z.number().int().min(100).max(599),
  error: escapedText({ max: 2000 }).nullable(),
  latencyMs: z.number().nonnegative(),
  residencyRegion: storableText({ max: 32 }),
  /** Where the request was served, when it was. */
  servedRegion: storableText({ max: 32 }).nullable(),
  /** Why that pool (`cheapest: gpu.ae ~3 ms …`, `fixed: deployment hardware cpu`); absent in older events. */
  placement: escapedText({ max: 500 }).nullable().optional(),
  occurredAt: z.iso.datetime(),
  /**
   * The call's payload under its tenant's (or model's) policy, when that is not `none`: already
   * hashed or redacted, or sealed under `full`, by the edge that answered (docs/audit.md#payload-logging-by-policy).
   */
  payload: PayloadRecordSchema.optional(),
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;

/**
 * What the audit writer accepts from the topic: also events published before events had an id
 * (still on the topic for its retention after an upgrade); the writer gives each one an id
 * derived from its place on the topic, so a redelivery of it is still stored once.
 */
export const ReceivedAuditEventSchema = AuditEventSchema.extend({ eventId: z.uuid().optional() });
export type ReceivedAuditEvent = z.infer<typeof ReceivedAuditEventSchema>;

export interface AuditFacts {
  /** A caller that may answer the same call twice (a job row run again) gives one id, stored once; else a fresh one. */
  eventId?: string;
  requestId: string;
  tenantId: string;
  subject: string;
  residency?: string;
  model: string;
  version: number | null;
  pool: string | null;
  /** The placement's explanation, when the request was placed. */
  placement?: string | null;
  protocol: AuditEvent['protocol'];
  status: number;
  error: string | null;
  latencyMs: number;
}

/** The audit event of a call, from what every protocol knows of it. */
export function auditEventOf(facts: AuditFacts, now: Date = new Date()): AuditEvent {
  return {
    eventId: facts.eventId ?? randomUUID(),
    requestId: toStorableText(facts.requestId, 200) || '-',
    tenantId: facts.tenantId,
    subject: toStorableText(facts.subject, 200) || '-',
    model: toStorableText(facts.model, 128) || '-',
    version: facts.version,
    pool: facts.pool,
    protocol: facts.protocol,
    status: facts.status,
    error: facts.error ? toStorableText(facts.error, 2000) : null,
    latencyMs: facts.latencyMs,
    residencyRegion: facts.residency ?? 'unknown',
    // Pools are named `<hardware>.<region>`.
    servedRegion: facts.pool ? (facts.pool.split('.')[1] ?? null) : null,
    placement: facts.placement ? toStorableText(facts.placement, 500) : null,
    occurredAt: now.toISOString(),
  };
}
