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
  occurredAt: z.iso.datetime(),
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;
