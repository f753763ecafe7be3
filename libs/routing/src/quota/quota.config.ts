import { z } from 'zod';

/** A token bucket: `rps` tokens a second refill it up to `burst`; a request takes one. */
const BucketSchema = z.object({ rps: z.number().positive().max(1_000_000), burst: z.number().int().min(1).max(10_000_000) }).strict();
export type Bucket = z.infer<typeof BucketSchema>;

const TenantQuotaSchema = BucketSchema.partial()
  .extend({ concurrency: z.number().int().min(1).max(100_000).optional() })
  .strict()
  .refine((q) => (q.rps === undefined) === (q.burst === undefined), 'rps and burst go together');

/**
 * Quotas, as the gateway's `FALAJ_QUOTAS` (JSON): a default per tenant, overrides per tenant
 * (with an in-flight limit), and buckets per `tenant/model`. Absent means unlimited.
 */
export const QuotaConfigSchema = z
  .object({
    default: TenantQuotaSchema.optional(),
    tenants: z.record(z.string().min(1), TenantQuotaSchema).default({}),
    models: z.record(z.string().regex(/^[^/]+\/[^/]+$/, 'model keys are tenant/model'), BucketSchema).default({}),
  })
  .strict();
export type QuotaConfig = z.infer<typeof QuotaConfigSchema>;

/** The env var's JSON text, parsed and checked; a bad value stops the gateway at start. */
export const QuotaEnvSchema = z
  .string()
  .default('{}')
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'FALAJ_QUOTAS is not JSON' });
      return z.NEVER;
    }
  })
  .pipe(QuotaConfigSchema);

/** The buckets a request of `tenant` to `model` draws from, each with its Redis key suffix. */
export function bucketsFor(config: QuotaConfig, tenantId: string, model: string): { key: string; bucket: Bucket }[] {
  const tenant = config.tenants[tenantId] ?? config.default;
  const buckets: { key: string; bucket: Bucket }[] = [];
  if (tenant?.rps !== undefined && tenant.burst !== undefined) buckets.push({ key: `t:${tenantId}`, bucket: { rps: tenant.rps, burst: tenant.burst } });
  const perModel = config.models[`${tenantId}/${model}`];
  if (perModel) buckets.push({ key: `m:${tenantId}/${model}`, bucket: perModel });
  return buckets;
}

export function concurrencyFor(config: QuotaConfig, tenantId: string): number | undefined {
  return (config.tenants[tenantId] ?? config.default)?.concurrency;
}
