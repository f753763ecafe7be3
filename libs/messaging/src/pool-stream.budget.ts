import type Redis from 'ioredis';
import { POOL_STREAM_ENQUEUE_LUA, POOL_STREAM_FULL_ENTRIES, POOL_STREAM_REMOVE_LUA, poolStreamBytesKey, poolStreamKey } from '@falaj/contracts';

export interface PoolStreamLimits {
  /** Entries the stream may hold (waiting or being served). */
  maxEntries: number;
  /** Bytes of those entries (entryBytes). */
  maxBytes: number;
}

/** What a pool stream holds: entries, and their bytes (entryBytes). */
export interface PoolStreamUsage {
  entries: number;
  bytes: number;
}

/** Accepted with the entry's id, or refused with what the stream held and the entry's bytes. */
export type EnqueueOutcome = { accepted: true; id: string } | ({ accepted: false; limit: 'entries' | 'bytes'; entryBytes: number } & PoolStreamUsage);

/** A served (or dropped) entry: its id and the bytes it counted for (entryBytes of the fields read). */
export interface RemovedEntry {
  id: Buffer | string;
  bytes: number;
}

type ScriptedRedis = Redis & {
  poolStreamEnqueue(stream: string, bytesKey: string, ...args: (string | number | Buffer)[]): Promise<string | [number, number, number, number]>;
  poolStreamRemove(stream: string, bytesKey: string, ...args: (string | number | Buffer)[]): Promise<number>;
};
type ScriptedPipeline = ReturnType<Redis['pipeline']> & {
  poolStreamRemove(stream: string, bytesKey: string, ...args: (string | number | Buffer)[]): ScriptedPipeline;
};

/**
 * The only way into and out of a pool's request stream (see POOL_STREAM_ENQUEUE_LUA): the budget
 * check, the XADD and the bytes counter in one script on the way in; the XACK, the XDEL and the
 * counter in one script on the way out. Every gateway, router and worker goes through it, so the
 * budget is one for the whole platform.
 */
export class PoolStreamBudget {
  private readonly redis: ScriptedRedis;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    this.redis = redis as ScriptedRedis;
    // defineCommand is idempotent per connection: EVALSHA, falling back to EVAL once.
    this.redis.defineCommand('poolStreamEnqueue', { numberOfKeys: 2, lua: POOL_STREAM_ENQUEUE_LUA });
    this.redis.defineCommand('poolStreamRemove', { numberOfKeys: 2, lua: POOL_STREAM_REMOVE_LUA });
  }

  /** Adds the entry unless the stream is over its budget; never trims anything. */
  async enqueue(pool: string, fields: readonly (string | Buffer)[], limits: PoolStreamLimits): Promise<EnqueueOutcome> {
    const answer = await this.redis.poolStreamEnqueue(poolStreamKey(this.prefix, pool), poolStreamBytesKey(this.prefix, pool), limits.maxEntries, limits.maxBytes, ...fields);
    if (typeof answer === 'string') return { accepted: true, id: answer };
    const [reason, entries, bytes, entryBytes] = answer;
    return { accepted: false, limit: reason === POOL_STREAM_FULL_ENTRIES ? 'entries' : 'bytes', entries, bytes, entryBytes };
  }

  /** Acknowledges and deletes served entries, their bytes off the counter; answers the bytes freed. */
  remove(pool: string, group: string, entries: readonly RemovedEntry[]): Promise<number> {
    return this.redis.poolStreamRemove(poolStreamKey(this.prefix, pool), poolStreamBytesKey(this.prefix, pool), group, ...removeArgs(entries));
  }

  /** The same, queued on a pipeline of this budget's connection (the worker's one flush per turn). */
  removeIn(pipeline: ReturnType<Redis['pipeline']>, pool: string, group: string, entries: readonly RemovedEntry[]): void {
    (pipeline as ScriptedPipeline).poolStreamRemove(poolStreamKey(this.prefix, pool), poolStreamBytesKey(this.prefix, pool), group, ...removeArgs(entries));
  }

  /** Entries and bytes the stream holds now. */
  async usage(pool: string): Promise<PoolStreamUsage> {
    const [[, entries], [, bytes]] = (await this.redis.multi().xlen(poolStreamKey(this.prefix, pool)).get(poolStreamBytesKey(this.prefix, pool)).exec()) as [[null, number], [null, string | null]];
    return { entries, bytes: Number(bytes ?? 0) };
  }
}

function removeArgs(entries: readonly RemovedEntry[]): (string | number | Buffer)[] {
  const args: (string | number | Buffer)[] = [];
  for (const { id, bytes } of entries) args.push(id, bytes);
  return args;
}
