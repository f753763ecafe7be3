import { QuotaError } from '@falaj/routing';
import type { PoolStreamLimits, PoolStreamUsage } from '@falaj/messaging';

export type PoolStreamLimit = 'entries' | 'bytes';

/** Come back in a second: a full stream drains as fast as the pool's workers serve it. */
export const POOL_STREAM_RETRY_AFTER_SECONDS = 1;

/**
 * Whether an entry of `entryBytes` may join a pool stream holding `usage`, or which limit it is
 * refused by: the stream holds at most `maxEntries`, and at most `maxBytes` unless it is empty (an
 * entry larger than the whole budget enters an empty stream alone, so it is never refused for
 * good). POOL_STREAM_ENQUEUE_LUA applies the same rule inside Redis, atomically with the XADD;
 * pool-stream.budget.integration-spec holds the two to the same table of cases.
 */
export function poolStreamAdmission(usage: PoolStreamUsage, entryBytes: number, limits: PoolStreamLimits): PoolStreamLimit | null {
  if (usage.entries >= limits.maxEntries) return 'entries';
  if (usage.entries > 0 && usage.bytes + entryBytes > limits.maxBytes) return 'bytes';
  return null;
}

/** The 503 a refused enqueue answers: the pool, what it holds, the limit by its variable, and when to retry. */
export function poolStreamFullError(pool: string, limit: PoolStreamLimit, usage: PoolStreamUsage, entryBytes: number, limits: PoolStreamLimits): QuotaError {
  const why =
    limit === 'entries'
      ? `pool ${pool}'s stream holds ${usage.entries} requests, its limit of ${limits.maxEntries} (FALAJ_POOL_STREAM_MAX_ENTRIES)`
      : `pool ${pool}'s stream holds ${usage.bytes} bytes; ${entryBytes} more would pass its limit of ${limits.maxBytes} (FALAJ_POOL_STREAM_MAX_BYTES)`;
  return new QuotaError(503, `over capacity: ${why}; retry after ${POOL_STREAM_RETRY_AFTER_SECONDS} s`, POOL_STREAM_RETRY_AFTER_SECONDS, limit === 'entries' ? 'stream_entries' : 'stream_bytes');
}
