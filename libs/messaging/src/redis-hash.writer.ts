import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { MIRRORED_HASH_PRESENT_FIELD } from '@falaj/contracts';

/**
 * The writing side of a Redis hash that edges follow (RedisHashMirror): records whose truth is
 * elsewhere (Postgres), one field each, every change announced on the channel. The hash is
 * rewritten whole at start, and again whenever it is found missing (checked every
 * `healIntervalMs`), so a Redis that lost it (a flush, a restart without persistence) has it back
 * within that time, not at the next boot. MIRRORED_HASH_PRESENT_FIELD is written with each whole
 * rewrite, so the hash exists while its writer has written it, even with no record, and a reader
 * (and the check) can tell a lost hash from an empty one or from one a single write made again.
 */
export abstract class RedisHashWriter {
  private readonly healLogger = new Logger(RedisHashWriter.name);
  private healer?: NodeJS.Timeout;

  constructor(
    protected readonly redis: Redis,
    protected readonly key: string,
    protected readonly channel: string,
    private readonly healIntervalMs = 2000,
  ) {}

  /** Every field of the hash, from the truth. */
  protected abstract records(): Promise<[field: string, value: string][]>;

  /** Whether a lost hash is worth rewriting (false when the truth holds no record, so that there is nothing to lose). */
  protected async worthHealing(): Promise<boolean> {
    return true;
  }

  async start(): Promise<void> {
    await this.rewrite();
    this.healer = setInterval(() => void this.healIfLost(), this.healIntervalMs);
    this.healer.unref();
  }

  stop(): void {
    clearInterval(this.healer);
  }

  private async healIfLost(): Promise<void> {
    try {
      if ((await this.redis.hexists(this.key, MIRRORED_HASH_PRESENT_FIELD)) || !(await this.worthHealing())) return;
      this.healLogger.warn({ key: this.key }, 'a mirrored hash is gone from Redis; rewriting it');
      await this.rewrite();
    } catch (error) {
      this.healLogger.warn({ key: this.key }, `mirror check failed: ${(error as Error).message}`);
    }
  }

  protected async rewrite(): Promise<void> {
    const records = await this.records();
    const multi = this.redis.multi().del(this.key).hset(this.key, MIRRORED_HASH_PRESENT_FIELD, '1');
    for (const [field, value] of records) multi.hset(this.key, field, value);
    await multi.publish(this.channel, '*').exec();
  }

  /** One field set (or removed, for null) and announced. */
  protected async write(field: string, value: string | null): Promise<void> {
    // Never the present field: a write that lands on a hash Redis lost must not make a partial one
    // look whole; the next check finds the field missing and rewrites the hash.
    const multi = this.redis.multi();
    if (value !== null) multi.hset(this.key, field, value);
    else multi.hdel(this.key, field);
    await multi.publish(this.channel, field).exec();
  }
}
