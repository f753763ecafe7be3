import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { subscribeWhenReady } from './redis.factory';

/**
 * An in-memory copy of a Redis hash that another service writes: read whole at start, again on
 * each announcement on its channel, and every few seconds as a safety net, so the request path
 * reads memory and never waits on Redis. A subclass parses each whole read into its own view.
 * The subscriber connection is the mirror's own.
 */
export abstract class RedisHashMirror {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly key: string,
    private readonly channel: string,
    private readonly refreshMs = 5000,
  ) {}

  /** Takes a whole read of the hash. */
  protected abstract apply(fields: Record<string, string>): void;

  /** Redis unreachable on a reload: the view stays what it was. */
  protected abstract reloadFailed(error: Error): void;

  async start(): Promise<void> {
    await this.reload();
    await subscribeWhenReady(this.subscriber, this.channel);
    this.subscriber.on('message', () => void this.reload());
    this.timer = setInterval(() => void this.reload(), this.refreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.subscriber.quit().catch(() => undefined);
  }

  async reload(): Promise<void> {
    let fields: Record<string, string>;
    try {
      fields = await this.redis.hgetall(this.key);
    } catch (error) {
      this.reloadFailed(error as Error);
      return;
    }
    this.apply(fields);
  }
}

/**
 * The writing side of such a hash, where Postgres is the truth: rewritten whole at start, and
 * again whenever it is found missing (checked every `healMs`) while Postgres holds records, so a
 * Redis that lost it (a flush, a restart without persistence) has it back within that time, not
 * at the next boot. A subclass says how to rewrite it and how many records it should hold.
 */
export abstract class RedisHashSource {
  protected readonly logger = new Logger(this.constructor.name);
  private healer?: NodeJS.Timeout;

  constructor(
    protected readonly redis: Redis,
    protected readonly key: string,
    protected readonly channel: string,
    private readonly healMs = 10_000,
  ) {}

  /** Rewrites the hash whole from Postgres and announces it. */
  protected abstract rewrite(): Promise<void>;

  /** How many records Postgres holds for the hash (0: a missing hash is right). */
  protected abstract held(): Promise<number>;

  async start(): Promise<void> {
    await this.rewrite();
    this.healer = setInterval(() => void this.healIfLost(), this.healMs);
    this.healer.unref();
  }

  stop(): void {
    clearInterval(this.healer);
  }

  private async healIfLost(): Promise<void> {
    try {
      if (await this.redis.exists(this.key)) return;
      const records = await this.held();
      if (records === 0) return;
      this.logger.warn({ key: this.key, records }, 'a mirrored hash is gone from Redis; rewriting it from Postgres');
      await this.rewrite();
    } catch (error) {
      this.logger.warn(`mirror check of ${this.key} failed: ${(error as Error).message}`);
    }
  }
}
