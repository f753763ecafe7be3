import type Redis from 'ioredis';
import { MIRRORED_HASH_PRESENT_FIELD } from '@falaj/contracts';
import { subscribeWhenReady } from './redis.factory';

/**
 * An in-memory copy of a Redis hash that another service writes: read whole at start, again on
 * each announcement on its channel, and every few seconds as a safety net, so the request path
 * reads memory and never waits on Redis. A subclass parses each whole read into its own view.
 * The subscriber connection, if any, is the mirror's own.
 *
 * Its writer keeps MIRRORED_HASH_PRESENT_FIELD in the hash: a read without it, after a view that
 * had it, is Redis having lost the hash (a restart without persistence): the view is kept as it
 * was, `present` turns false, and the next read with the field (the writer rebuilt it) replaces it.
 */
export abstract class RedisHashMirror {
  private timer?: NodeJS.Timeout;
  /** The last read found the writer's field: the view is the writer's whole hash. */
  private written = false;
  /** The view in memory came from a hash its writer had written (so a read without the field is a loss). */
  private viewWritten = false;

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

  /**
   * Whether Redis holds the hash as its writer wrote it (false before the first read, and from a
   * read that found it lost until the writer has rebuilt it): a miss is then not an answer.
   */
  get present(): boolean {
    return this.written;
  }

  async reload(): Promise<void> {
    let fields: Record<string, string>;
    try {
      fields = await this.redis.hgetall(this.key);
    } catch (error) {
      this.reloadFailed(error as Error);
      return;
    }
    const written = MIRRORED_HASH_PRESENT_FIELD in fields;
    this.written = written;
    if (!written && this.viewWritten) return; // lost: keep the view until the writer rebuilds the hash
    delete fields[MIRRORED_HASH_PRESENT_FIELD];
    this.viewWritten = written;
    this.apply(fields);
  }
}
