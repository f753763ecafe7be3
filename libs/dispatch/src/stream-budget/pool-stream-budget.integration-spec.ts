import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { entryBytes, poolStreamBytesKey, poolStreamKey } from '@falaj/contracts';
import { PoolStreamBudget } from '@falaj/messaging';
import { POOL_STREAM_ADMISSION_CASES, POOL_STREAM_ADMISSION_LIMITS as limits } from './pool-stream-admission.cases';
import { poolStreamAdmission } from './pool-stream-admission.policy';

/** Real Redis: the budget's two Lua scripts (PoolStreamBudget), held to the pure policy's table. */
const REDIS_URL = process.env.FALAJ_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe(PoolStreamBudget.name, () => {
  const prefix = `falajtest-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL);
  const budget = new PoolStreamBudget(redis, prefix);
  let n = 0;
  /** A fresh pool holding `entries` entries that the counter says take `bytes`. */
  const poolHolding = async (entries: number, bytes: number): Promise<string> => {
    const pool = `cpu.t${n++}`;
    for (let i = 0; i < entries; i++) await redis.xadd(poolStreamKey(prefix, pool), '*', 'h', 'x');
    await redis.set(poolStreamBytesKey(prefix, pool), bytes);
    return pool;
  };
  /** Fields whose entryBytes is exactly `size` (at least 4). */
  const fieldsOf = (size: number) => ['h', '{}', 'd', Buffer.alloc(size - 4)];

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  describe('enqueue', () => {
    it.each(POOL_STREAM_ADMISSION_CASES)('holding %i entries of %i bytes, refuses an entry of %i bytes by %s, as poolStreamAdmission does', async (entries, bytes, size, refused) => {
      expect(poolStreamAdmission({ entries, bytes }, size, limits)).toBe(refused);
      const pool = await poolHolding(entries, bytes);
      const outcome = await budget.enqueue(pool, fieldsOf(size), limits);
      expect(outcome.accepted ? null : outcome.limit).toBe(refused);
      if (!outcome.accepted) expect(outcome).toMatchObject({ entries, bytes, entryBytes: size });
      const usage = await budget.usage(pool);
      if (refused === null) expect(usage).toEqual({ entries: entries + 1, bytes: (entries === 0 ? 0 : bytes) + size });
      // A refusal adds nothing and trims nothing.
      else expect(usage).toEqual({ entries, bytes });
    });

    it('counts what a worker measures on the fields it reads back (entryBytes)', async () => {
      const pool = await poolHolding(0, 0);
      await budget.enqueue(pool, ['h', JSON.stringify({ name: 'ünïcode' }), 'd', Buffer.alloc(1234)], limits);
      const [[, fields]] = (await redis.xrangeBuffer(poolStreamKey(prefix, pool), '-', '+')) as [Buffer, Buffer[]][];
      expect((await budget.usage(pool)).bytes).toBe(entryBytes(fields));
    });

    it('starts an emptied or lost stream from 0 bytes, whatever its counter said', async () => {
      const pool = await poolHolding(0, 999_999);
      expect(await budget.enqueue(pool, fieldsOf(100), limits)).toMatchObject({ accepted: true });
      expect(await budget.usage(pool)).toEqual({ entries: 1, bytes: 100 });
    });
  });

  describe('remove', () => {
    it('takes off the bytes of what it deleted, once, and reads 0 once the stream is empty', async () => {
      const pool = `cpu.r${n++}`;
      const group = `${prefix}-workers`;
      await redis.xgroup('CREATE', poolStreamKey(prefix, pool), group, '0', 'MKSTREAM');
      const a = await budget.enqueue(pool, fieldsOf(100), limits);
      const b = await budget.enqueue(pool, fieldsOf(300), limits);
      if (!a.accepted || !b.accepted) throw new Error('refused');
      expect(await budget.remove(pool, group, [{ id: a.id, bytes: 100 }])).toBe(100);
      expect(await budget.usage(pool)).toEqual({ entries: 1, bytes: 300 });
      // Removed again (a reclaimer and a slow first worker both finishing it): nothing more taken off.
      expect(await budget.remove(pool, group, [{ id: a.id, bytes: 100 }])).toBe(0);
      expect(await budget.usage(pool)).toEqual({ entries: 1, bytes: 300 });
      expect(await budget.remove(pool, group, [{ id: b.id, bytes: 300 }])).toBe(300);
      expect(await budget.usage(pool)).toEqual({ entries: 0, bytes: 0 });
    });
  });
});
