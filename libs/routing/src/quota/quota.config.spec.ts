import { QuotaEnvSchema, bucketsFor, concurrencyFor } from './quota.config';

describe('quota config', () => {
  it('parses FALAJ_QUOTAS and picks the buckets of a request', () => {
    const config = QuotaEnvSchema.parse(JSON.stringify({ default: { rps: 10, burst: 20 }, tenants: { acme: { rps: 1, burst: 2, concurrency: 3 } }, models: { 'acme/m': { rps: 5, burst: 5 } } }));
    expect(bucketsFor(config, 'acme', 'm')).toEqual([
      { key: 't:acme', bucket: { rps: 1, burst: 2 } },
      { key: 'm:acme/m', bucket: { rps: 5, burst: 5 } },
    ]);
    expect(bucketsFor(config, 'globex', 'm')).toEqual([{ key: 't:globex', bucket: { rps: 10, burst: 20 } }]);
    expect(concurrencyFor(config, 'acme')).toBe(3);
    expect(concurrencyFor(config, 'globex')).toBeUndefined();
    expect(bucketsFor(QuotaEnvSchema.parse(undefined), 'acme', 'm')).toEqual([]);
  });

  it('refuses what is not a quota', () => {
    expect(() => QuotaEnvSchema.parse('{')).toThrow('not JSON');
    expect(() => QuotaEnvSchema.parse('{"tenants":{"acme":{"rps":1}}}')).toThrow('rps and burst go together');
    expect(() => QuotaEnvSchema.parse('{"models":{"m":{"rps":1,"burst":1}}}')).toThrow('tenant/model');
  });
});
