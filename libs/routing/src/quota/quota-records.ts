import { ModelQuotaRecordSchema, TenantQuotaRecordSchema, parseQuotaField, type ModelQuotaRecord, type TenantQuotaRecord } from '@falaj/contracts';
import type { QuotaConfig } from './quota.config';

/** The records of the registry's quota hash, by tenant id and by `tenant/model`. */
export interface QuotaRecords {
  tenants: Record<string, TenantQuotaRecord>;
  models: Record<string, ModelQuotaRecord>;
}

/** Parses the hash as HGETALL returns it; a field that is not a valid record is left out and named. */
export function parseQuotaRecords(hash: Record<string, string>): { records: QuotaRecords; malformed: string[] } {
  const tenants: [string, TenantQuotaRecord][] = [];
  const models: [string, ModelQuotaRecord][] = [];
  const malformed: string[] = [];
  for (const [field, json] of Object.entries(hash)) {
    const name = parseQuotaField(field);
    if (name?.kind === 'tenant') {
      const parsed = TenantQuotaRecordSchema.safeParse(safeJson(json));
      if (parsed.success) {
        tenants.push([name.tenantId, parsed.data]);
        continue;
      }
    } else if (name?.kind === 'model') {
      const parsed = ModelQuotaRecordSchema.safeParse(safeJson(json));
      if (parsed.success) {
        models.push([name.key, parsed.data]);
        continue;
      }
    }
    malformed.push(field);
  }
  // fromEntries defines own properties: no id, not even `__proto__`, reaches a prototype.
  return { records: { tenants: Object.fromEntries(tenants), models: Object.fromEntries(models) }, malformed };
}

/**
 * The quotas in force: the env's, with each record replacing, whole, the env's entry (or its
 * default) for the same tenant or model. A tenant or model without a record keeps the env's.
 */
export function withQuotaRecords(env: QuotaConfig, records: QuotaRecords): QuotaConfig {
  return { ...env, tenants: { ...env.tenants, ...records.tenants }, models: { ...env.models, ...records.models } };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
