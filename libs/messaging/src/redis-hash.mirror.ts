import type Redis from 'ioredis';
import { subscribeWhenReady } from './redis.factory';

/**
 * An in-memory copy of a Redis hash that another service writes: read whole at start, again on
 * each announcement on its channel, and every few seconds as a safety net, so the request path
 * reads memory and never waits on Redis. A subclass parses each whole read into its own view.
 * The subscriber connection, if any, is the mirror's own.
 */
export abstract class RedisHashMirror {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    /** null: no announcements followed, the hash is read every refreshMs only (for a hash that changes with a restart). */
    private readonly subscriber: Redis | null,
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
    if (this.subscriber) {
      await subscribeWhenReady(this.subscriber, this.channel);
      this.subscriber.on('message', () => void this.reload());
    }
    this.timer = setInterval(() => void this.reload(), this.refreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.subscriber?.quit().catch(() => undefined);
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
