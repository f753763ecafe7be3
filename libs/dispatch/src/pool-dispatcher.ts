import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import {
  DispatchDecodeError,
  decodeReply,
  encodeDispatchEntry,
  poolStreamKey,
  replyChannel,
  type DispatchReply,
  type DispatchRequest,
} from '@falaj/contracts';
import { subscribeWhenReady } from '@falaj/messaging';

export class DispatchTimeoutError extends Error {}

interface Pending {
  resolve(reply: DispatchReply): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Bounds a pool stream's length: past this, the oldest (long-expired) entries are trimmed. */
const STREAM_MAX_LENGTH = 100_000;

/**
 * Sends a request into its pool's Redis stream and waits for the worker's reply on this
 * gateway's own channel. One subscriber connection serves every in-flight request.
 */
export class PoolDispatcher {
  private readonly logger = new Logger(PoolDispatcher.name);
  private readonly pending = new Map<string, Pending>();
  private readonly channel: string;

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
    readonly gatewayId: string,
  ) {
    this.channel = replyChannel(prefix, gatewayId);
  }

  async start(): Promise<void> {
    this.subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.onReply(message));
    await subscribeWhenReady(this.subscriber, this.channel);
  }

  async stop(): Promise<void> {
    for (const [, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error('gateway shutting down'));
    }
    this.pending.clear();
    await this.subscriber.quit().catch(() => undefined);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  dispatch(pool: string, request: Omit<DispatchRequest, 'replyTo'>, timeoutMs: number): Promise<DispatchReply> {
    return new Promise<DispatchReply>((resolve, reject) => {
      // Registered before the send: a fast worker may answer before XADD returns.
      const timer = setTimeout(() => {
        this.pending.delete(request.requestId);
        reject(new DispatchTimeoutError(`no reply from pool ${pool} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(request.requestId, { resolve, reject, timer });
      const fields = encodeDispatchEntry({ ...request, replyTo: this.gatewayId });
      this.redis
        .xadd(poolStreamKey(this.prefix, pool), 'MAXLEN', '~', STREAM_MAX_LENGTH, '*', ...fields)
        .catch((error: Error) => {
          clearTimeout(timer);
          this.pending.delete(request.requestId);
          reject(error);
        });
    });
  }

  private onReply(message: Buffer): void {
    let reply: DispatchReply;
    try {
      reply = decodeReply(message);
    } catch (error) {
      if (error instanceof DispatchDecodeError) this.logger.warn(`dropping an undecodable reply: ${error.message}`);
      return;
    }
    const pending = this.pending.get(reply.requestId);
    if (!pending) return; // timed out already
    this.pending.delete(reply.requestId);
    clearTimeout(pending.timer);
    pending.resolve(reply);
  }
}
