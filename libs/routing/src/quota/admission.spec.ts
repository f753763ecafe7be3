import { retryAfterHeader, retryAfterOf } from '@falaj/contracts';
import { Admission, concurrencyRefusal, rateRefusal } from './admission';
import { QuotaError } from './quota.error';

describe(Admission.name, () => {
  describe('retryAfterOf', () => {
    it('rounds up to whole seconds and never says 0, on every protocol', () => {
      expect([0, 1, 1000, 1001, 2500].map(retryAfterOf)).toEqual([1, 1, 1, 2, 3]);
      expect(retryAfterHeader(rateRefusal('acme', 'm', 2500))).toBe('3');
      expect(retryAfterHeader({ retryAfterSeconds: 0.2 })).toBe('1');
      expect(retryAfterHeader(new Error('no'))).toBeUndefined();
    });
  });

  describe('rateRefusal', () => {
    it('says whose quota, on which model, and when to come back, with the same number it carries', () => {
      const error = rateRefusal('acme', 'scorer', 1200);
      expect(error).toBeInstanceOf(QuotaError);
      expect(error).toMatchObject({ status: 429, retryAfterSeconds: 2, limit: 'tenant_rate', code: 'quota_exceeded' });
      expect(error.message).toBe("rate limit exceeded for tenant 'acme' on model 'scorer'; retry after 2 s");
    });
  });

  describe('admit', () => {
    it('refuses when the buckets have no token, before any slot is taken', async () => {
      const admission = new Admission({ take: async () => 400, concurrency: () => 5 });
      await expect(admission.admit('acme', 'm')).rejects.toMatchObject({ status: 429, retryAfterSeconds: 1, limit: 'tenant_rate' });
      expect(admission.held('acme')).toBe(0);
    });

    it('holds a tenant to its in-flight limit and frees a slot once, however often released', async () => {
      const admission = new Admission({ take: async () => 0, concurrency: (tenant) => (tenant === 'acme' ? 2 : undefined) });
      const first = await admission.admit('acme', 'm');
      await admission.admit('acme', 'm');
      await expect(admission.admit('acme', 'm')).rejects.toEqual(concurrencyRefusal('acme', 2));
      // Another tenant is not held by acme's limit.
      await expect(admission.admit('globex', 'm')).resolves.toBeInstanceOf(Function);
      first();
      first();
      expect(admission.held('acme')).toBe(1);
      await expect(admission.admit('acme', 'm')).resolves.toBeInstanceOf(Function);
      await expect(admission.admit('acme', 'm')).rejects.toMatchObject({ limit: 'tenant_concurrency', retryAfterSeconds: 1 });
    });

    it('counts nothing where the edge has no in-flight limit', async () => {
      const admission = new Admission({ take: async () => 0 });
      for (let i = 0; i < 100; i++) await admission.admit('acme', 'm');
      expect(admission.held('acme')).toBe(0);
    });
  });
});
