import { z } from 'zod';

/**
 * Redis hash of the quota records set through the registry's admin API (the source of truth is
 * Postgres), one field per tenant (`tenant:<id>`) or model (`model:<tenant>/<model>`), the value
 * the record as JSON. Rewritten whole at registry boot; the gateways and routers read it into
 * memory and lay it over their `FALAJ_QUOTAS`.
 */
export const quotasKey = (prefix: string): string => `${prefix}:quotas:v1`;
/** Pub/sub channel on which the registry announces a changed record (the message is its field). */
export const quotasChangedChannel = (prefix: string): string => `${prefix}:quotas:v1:changed`;

export const tenantQuotaField = (tenantId: string): string => `tenant:${tenantId}`;
export const modelQuotaField = (tenantId: string, model: string): string => `model:${tenantId}/${model}`;

/** What a field of the hash names, or null for a field this version does not know. */
export function parseQuotaField(field: string): { kind: 'tenant'; tenantId: string } | { kind: 'model'; key: string } | null {
  if (field.startsWith('tenant:') && field.length > 'tenant:'.length) return { kind: 'tenant', tenantId: field.slice('tenant:'.length) };
  const key = field.startsWith('model:') ? field.slice('model:'.length) : '';
  return /^[^/]+\/[^/]+$/.test(key) ? { kind: 'model', key } : null;
}

const rps = z.number().positive().max(1_000_000);
const burst = z.number().int().min(1).max(10_000_000);
const concurrency = z.number().int().min(1).max(100_000);

/** A token bucket: `rps` tokens a second refill it up to `burst`; a request takes one. */
export const QuotaBucketSchema = z.object({ rps, burst }).strict();
export type QuotaBucket = z.infer<typeof QuotaBucketSchema>;

/**
 * A tenant's quota: a bucket (rps and burst, both or neither) and a limit on its requests in
 * flight per gateway. The same shape in `FALAJ_QUOTAS` and in a record; it replaces, whole, any
 * other quota of the tenant (the env's entry or default).
 */
export const TenantQuotaSchema = z
  .object({ rps: rps.optional(), burst: burst.optional(), concurrency: concurrency.optional() })
  .strict()
  .superRefine((q, ctx) => {
    if (q.rps !== undefined && q.burst === undefined) ctx.addIssue({ code: 'custom', path: ['burst'], message: 'rps and burst go together: burst is missing' });
    if (q.burst !== undefined && q.rps === undefined) ctx.addIssue({ code: 'custom', path: ['rps'], message: 'rps and burst go together: rps is missing' });
  });
export type TenantQuota = z.infer<typeof TenantQuotaSchema>;

/** A tenant's record: as in the env, but it must limit something (deleting it is how to lift it). */
export const TenantQuotaRecordSchema = TenantQuotaSchema.refine((q) => Object.values(q).some((v) => v !== undefined), 'a quota sets rps and burst, concurrency, or both');
export type TenantQuotaRecord = z.infer<typeof TenantQuotaRecordSchema>;

/** A model's record (`tenant/model`): its own bucket, drawn from beside the tenant's. */
export const ModelQuotaRecordSchema = QuotaBucketSchema;
export type ModelQuotaRecord = z.infer<typeof ModelQuotaRecordSchema>;
