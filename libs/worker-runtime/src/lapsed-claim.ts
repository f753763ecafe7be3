import type Redis from 'ioredis';

/**
 * Takes the pending entries of one consumer of a pool stream's group — only if its liveness lease
 * has lapsed, checked in the same script, so no entry of a live worker is ever taken, and two
 * survivors never both take one (the second finds them pending under the first). A lapsed
 * consumer left with nothing pending is removed from the group.
 * KEYS: the pool stream, the consumer's lease. ARGV: group, claimer, consumer, most entries.
 */
const CLAIM_LAPSED = `
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', tonumber(ARGV[4]), ARGV[3])
if #pending == 0 then
  redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[3])
  return {}
end
local ids = {}
for i, entry in ipairs(pending) do ids[i] = entry[1] end
return redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, unpack(ids))
`;

type StreamEntry = [id: Buffer, fields: Buffer[]];

interface ClaimingRedis extends Redis {
  claimLapsedBuffer(stream: string, lease: string, group: string, claimer: string, consumer: string, count: number): Promise<StreamEntry[] | null>;
}

/** The consumers of a group holding entries now, with how many (XPENDING's summary). */
export async function pendingConsumers(redis: Redis, stream: string, group: string): Promise<{ consumer: string; count: number }[]> {
  const summary = (await redis.xpending(stream, group)) as [number, string | null, string | null, [string, string][] | null];
  return (summary[3] ?? []).map(([consumer, count]) => ({ consumer, count: Number(count) }));
}

/** The lapsed consumer's entries now held by `claimer`, or null when its lease is live after all. */
export async function claimLapsed(redis: Redis, stream: string, lease: string, group: string, claimer: string, consumer: string, count: number): Promise<StreamEntry[] | null> {
  const claiming = redis as ClaimingRedis;
  if (typeof claiming.claimLapsedBuffer !== 'function') redis.defineCommand('claimLapsed', { numberOfKeys: 2, lua: CLAIM_LAPSED });
  const entries = await claiming.claimLapsedBuffer(stream, lease, group, claimer, consumer, count);
  return entries === null ? null : entries.filter((e): e is StreamEntry => Array.isArray(e));
}
