import { z } from 'zod';

export const auditTopic = (prefix: string): string => `${prefix}.audit.v1`;

/** One inference call, as the gateway saw it. Keyed on Kafka by request id. */
export const AuditEventSchema = z.object({
  requestId: z.string().min(1).max(200),
  tenantId: z.string().min(1),
  subject: z.string().min(1),
  model: z.string().min(1),
  version: z.number().int().positive().nullable(),
  pool: z.string().nullable(),
  protocol: z.enum(['rest', 'grpc', 'kafka', 'batch']),
  status: z.number().int().min(100).max(599),
  error: z.string().max(2000).nullable(),
  latencyMs: z.number().nonnegative(),
  residencyRegion: z.string().min(1),
  /** Where the request was served, when it was. */
  servedRegion: z.string().nullable(),
  /** Why that pool (`cheapest: gpu.ae ~3 ms …`, `fixed: deployment hardware cpu`); absent in older events. */
  placement: z.string().max(500).nullable().optional(),
  occurredAt: z.iso.datetime(),
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;

export interface AuditFacts {
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
    requestId: facts.requestId.slice(0, 200),
    tenantId: facts.tenantId,
    subject: facts.subject,
    model: facts.model.slice(0, 128) || '-',
    version: facts.version,
    pool: facts.pool,
    protocol: facts.protocol,
    status: facts.status,
    error: facts.error ? facts.error.slice(0, 2000) : null,
    latencyMs: facts.latencyMs,
    residencyRegion: facts.residency ?? 'unknown',
    // Pools are named `<hardware>.<region>`.
    servedRegion: facts.pool ? (facts.pool.split('.')[1] ?? null) : null,
    placement: facts.placement ? facts.placement.slice(0, 500) : null,
    occurredAt: now.toISOString(),
  };
}
