import { modelQuotaField, tenantQuotaField } from '@falaj/contracts';
import { QuotaConfigSchema, bucketsFor, concurrencyFor } from './quota.config';
import { parseQuotaRecords, withQuotaRecords } from './quota-records';

const env = QuotaConfigSchema.parse({
  default: { rps: 10, burst: 20 },
  tenants: { acme: { rps: 1, burst: 2, concurrency: 3 }, globex: { concurrency: 7 } },
  models: { 'acme/m': { rps: 5, burst: 5 } },
});
const hash = (records: Record<string, unknown>) => Object.fromEntries(Object.entries(records).map(([f, v]) => [f, JSON.stringify(v)]));

describe('parseQuotaRecords', () => {
  it('reads tenant and model records by their fields', () => {
    const { records, malformed } = parseQuotaRecords(hash({ [tenantQuotaField('acme')]: { rps: 50, burst: 100 }, [modelQuotaField('acme', 'm')]: { rps: 2, burst: 4 } }));
    expect(records).toEqual({ tenants: { acme: { rps: 50, burst: 100 } }, models: { 'acme/m': { rps: 2, burst: 4 } } });
    expect(malformed).toEqual([]);
  });

  it('leaves out and names what is not a record, keeping the rest', () => {
    const { records, malformed } = parseQuotaRecords({
      ...hash({ 'tenant:ok': { concurrency: 2 }, 'tenant:bad': { rps: 1 }, 'model:acme/m': { rps: 1, burst: 1, concurrency: 1 }, 'unknown:x': { rps: 1, burst: 1 } }),
      'tenant:text': '{not json',
    });
    expect(records).toEqual({ tenants: { ok: { concurrency: 2 } }, models: {} });
    expect(malformed.sort()).toEqual(['model:acme/m', 'tenant:bad', 'tenant:text', 'unknown:x']);
  });

  it('keeps an id such as __proto__ an own key, never a prototype', () => {
    const { records } = parseQuotaRecords(hash({ 'tenant:__proto__': { rps: 1, burst: 1 } }));
    expect(Object.getPrototypeOf(records.tenants)).toBe(Object.prototype);
    expect(Object.keys(records.tenants)).toEqual(['__proto__']);
  });
});

describe('withQuotaRecords', () => {
  it('is the env alone when there are no records', () => {
    const merged = withQuotaRecords(env, { tenants: {}, models: {} });
    expect(merged).toEqual(env);
  });

  it('lets a tenant record replace the env entry whole, and the default for a tenant without one', () => {
    const merged = withQuotaRecords(env, { tenants: { acme: { rps: 50, burst: 100 }, initech: { concurrency: 4 } }, models: {} });
    expect(bucketsFor(merged, 'acme', 'other')).toEqual([{ key: 't:acme', bucket: { rps: 50, burst: 100 } }]);
    // Replaced whole: the env's concurrency of 3 is not kept beside the record's bucket.
    expect(concurrencyFor(merged, 'acme')).toBeUndefined();
    // A record with only an in-flight limit: no bucket, not even the default's.
    expect(bucketsFor(merged, 'initech', 'x')).toEqual([]);
    expect(concurrencyFor(merged, 'initech')).toBe(4);
    // Untouched tenants keep the env's entry or default.
    expect(concurrencyFor(merged, 'globex')).toBe(7);
    expect(bucketsFor(merged, 'hooli', 'x')).toEqual([{ key: 't:hooli', bucket: { rps: 10, burst: 20 } }]);
  });

  it('lets a model record beat the env for that model only', () => {
    const merged = withQuotaRecords(env, { tenants: {}, models: { 'acme/m': { rps: 1, burst: 3 }, 'acme/n': { rps: 2, burst: 2 } } });
    expect(bucketsFor(merged, 'acme', 'm')).toEqual([
      { key: 't:acme', bucket: { rps: 1, burst: 2 } },
      { key: 'm:acme/m', bucket: { rps: 1, burst: 3 } },
    ]);
    expect(bucketsFor(merged, 'acme', 'n')[1]).toEqual({ key: 'm:acme/n', bucket: { rps: 2, burst: 2 } });
    expect(bucketsFor(merged, 'acme', 'o')).toHaveLength(1);
  });

  it('falls back to the env once a record is gone, and never changes the env it was given', () => {
    const before = JSON.stringify(env);
    withQuotaRecords(env, { tenants: { acme: { concurrency: 1 } }, models: { 'acme/m': { rps: 1, burst: 1 } } });
    const after = withQuotaRecords(env, parseQuotaRecords({}).records);
    expect(bucketsFor(after, 'acme', 'm')).toEqual(bucketsFor(env, 'acme', 'm'));
    expect(concurrencyFor(after, 'acme')).toBe(3);
    expect(JSON.stringify(env)).toBe(before);
  });
});
