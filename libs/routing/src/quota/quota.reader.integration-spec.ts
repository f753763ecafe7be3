import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { modelQuotaField, quotasChangedChannel, quotasKey, tenantQuotaField } from '@falaj/contracts';
import { eventually } from '@falaj/testing';
import { QuotaConfigSchema, bucketsFor, concurrencyFor } from './quota.config';
import { QuotaReader } from './quota.reader';

/** Real Redis: the registry's quota hash and its announcements, as a gateway follows them. */
describe(QuotaReader.name, () => {
  const prefix = `falajtest-quotas-${randomBytes(3).toString('hex')}`;
  const url = process.env.FALAJ_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(url);
  const readerRedis = new Redis(url);
  const env = QuotaConfigSchema.parse({ tenants: { acme: { rps: 1, burst: 2, concurrency: 3 } } });
  // A refresh far beyond the test: what it sees within, it saw through the announcement.
  const reader = new QuotaReader(readerRedis, new Redis(url), prefix, env, 600_000);
  const announce = async (field: string, record?: object) => {
    const multi = redis.multi();
    if (record) multi.hset(quotasKey(prefix), field, JSON.stringify(record));
    else multi.hdel(quotasKey(prefix), field);
    await multi.publish(quotasChangedChannel(prefix), field).exec();
  };

  beforeAll(async () => {
    await redis.hset(quotasKey(prefix), modelQuotaField('acme', 'm'), JSON.stringify({ rps: 4, burst: 8 }));
    await reader.start();
  });
  afterAll(async () => {
    await reader.stop();
    await redis.del(quotasKey(prefix));
    redis.disconnect();
    readerRedis.disconnect();
  });

  describe('start', () => {
    it('loads the records already in Redis over the env', () => {
      expect(bucketsFor(reader.current(), 'acme', 'm')).toEqual([
        { key: 't:acme', bucket: { rps: 1, burst: 2 } },
        { key: 'm:acme/m', bucket: { rps: 4, burst: 8 } },
      ]);
    });
  });

  describe('on an announcement', () => {
    it('applies a new tenant record, then falls back to the env when it is deleted', async () => {
      await announce(tenantQuotaField('acme'), { rps: 50, burst: 100 });
      await eventually('the record applied', async () => (bucketsFor(reader.current(), 'acme', 'x')[0]?.bucket.rps === 50 ? true : undefined), 2000, 10);
      expect(concurrencyFor(reader.current(), 'acme')).toBeUndefined();
      await announce(tenantQuotaField('acme'));
      await eventually('the env again', async () => (concurrencyFor(reader.current(), 'acme') === 3 ? true : undefined), 2000, 10);
      expect(bucketsFor(reader.current(), 'acme', 'x')).toEqual([{ key: 't:acme', bucket: { rps: 1, burst: 2 } }]);
    });

    it('ignores a malformed record and keeps the others', async () => {
      await redis.hset(quotasKey(prefix), tenantQuotaField('globex'), '{"rps":1}');
      await announce(tenantQuotaField('initech'), { concurrency: 9 });
      await eventually('the good record applied', async () => (concurrencyFor(reader.current(), 'initech') === 9 ? true : undefined), 2000, 10);
      expect(bucketsFor(reader.current(), 'globex', 'm')).toEqual([]);
      expect(bucketsFor(reader.current(), 'acme', 'm')[1]).toEqual({ key: 'm:acme/m', bucket: { rps: 4, burst: 8 } });
    });
  });
});
