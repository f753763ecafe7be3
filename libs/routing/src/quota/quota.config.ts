import { z } from 'zod';
import { QuotaBucketSchema, TenantQuotaSchema, modelQuotaBucket, tenantQuotaBucket, type QuotaBucket } from '@falaj/contracts';

/**
 * Quotas, as the gateway's `FALAJ_QUOTAS` (JSON): a default per tenant, overrides per tenant
 * (with an in-flight limit), and buckets per `tenant/model`. Absent means unlimited. The records
 * set through the admin API have the same shapes and are laid over it (withQuotaRecords).
 */
export const QuotaConfigSchema = z
  .object({
    default: TenantQuotaSchema.optional(),
    tenants: z.record(z.string().min(1), TenantQuotaSchema).default({}),
    models: z.record(z.string().regex(/^[^/]+\/[^/]+$/, 'model keys are tenant/model'), QuotaBucketSchema).default({}),
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
export function bucketsFor(config: QuotaConfig, tenantId: string, model: string): { key: string; bucket: QuotaBucket }[] {
  const tenant = config.tenants[tenantId] ?? config.default;
  const buckets: { key: string; bucket: QuotaBucket }[] = [];
  if (tenant?.rps !== undefined && tenant.burst !== undefined) buckets.push({ key: tenantQuotaBucket(tenantId), bucket: { rps: tenant.rps, burst: tenant.burst } });
  const perModel = config.models[`${tenantId}/${model}`];
  if (perModel) buckets.push({ key: modelQuotaBucket(tenantId, model), bucket: perModel });
  return buckets;
}

export function concurrencyFor(config: QuotaConfig, tenantId: string): number | undefined {
  return (config.tenants[tenantId] ?? config.default)?.concurrency;
}
