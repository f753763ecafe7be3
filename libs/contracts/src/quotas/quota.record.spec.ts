import { ModelQuotaRecordSchema, TenantQuotaRecordSchema, TenantQuotaSchema, modelQuotaField, parseQuotaField, tenantQuotaField } from './quota.record';

const problems = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) => result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

describe('TenantQuotaRecordSchema', () => {
  it('takes a bucket, an in-flight limit, or both', () => {
    expect(TenantQuotaRecordSchema.parse({ rps: 50, burst: 100, concurrency: 32 })).toEqual({ rps: 50, burst: 100, concurrency: 32 });
    expect(TenantQuotaRecordSchema.parse({ rps: 0.5, burst: 1 })).toEqual({ rps: 0.5, burst: 1 });
    expect(TenantQuotaRecordSchema.parse({ concurrency: 4 })).toEqual({ concurrency: 4 });
  });

  it('names the field at fault', () => {
    expect(problems(TenantQuotaRecordSchema.safeParse({ rps: 5 }))).toEqual(['burst: rps and burst go together: burst is missing']);
    expect(problems(TenantQuotaRecordSchema.safeParse({ burst: 5 }))).toEqual(['rps: rps and burst go together: rps is missing']);
    expect(problems(TenantQuotaRecordSchema.safeParse({ rps: 0, burst: 5 }))[0]).toMatch(/^rps: /);
    expect(problems(TenantQuotaRecordSchema.safeParse({ rps: 1, burst: 1.5 }))[0]).toMatch(/^burst: /);
    expect(problems(TenantQuotaRecordSchema.safeParse({ rps: 1, burst: 2, concurrency: 0 }))[0]).toMatch(/^concurrency: /);
    expect(problems(TenantQuotaRecordSchema.safeParse({ rps: 1, burst: 2, rpm: 3 }))[0]).toContain('"rpm"');
  });

  it('refuses a record that limits nothing, which the env schema allows', () => {
    expect(problems(TenantQuotaRecordSchema.safeParse({}))).toEqual([': a quota sets rps and burst, concurrency, or both']);
    expect(TenantQuotaSchema.parse({})).toEqual({});
  });
});

describe('ModelQuotaRecordSchema', () => {
  it('is a bucket: rps and burst, nothing else', () => {
    expect(ModelQuotaRecordSchema.parse({ rps: 20, burst: 40 })).toEqual({ rps: 20, burst: 40 });
    expect(ModelQuotaRecordSchema.safeParse({ rps: 20 }).success).toBe(false);
    expect(problems(ModelQuotaRecordSchema.safeParse({ rps: 20, burst: 40, concurrency: 2 }))[0]).toContain('"concurrency"');
  });
});

describe('parseQuotaField', () => {
  it('reads back the fields it names', () => {
    expect(parseQuotaField(tenantQuotaField('acme'))).toEqual({ kind: 'tenant', tenantId: 'acme' });
    expect(parseQuotaField(modelQuotaField('acme', 'fraud-scorer'))).toEqual({ kind: 'model', key: 'acme/fraud-scorer' });
  });

  it('refuses fields it does not know', () => {
    for (const field of ['tenant:', 'model:acme', 'model:acme/a/b', 'model:/m', 'other:acme', '']) expect(parseQuotaField(field)).toBeNull();
  });
});
