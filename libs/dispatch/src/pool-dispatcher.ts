import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import {
  BackboneUnavailableError,
  DEFAULT_POOL_STREAM_MAX_BYTES,
  DEFAULT_POOL_STREAM_MAX_ENTRIES,
  DispatchDecodeError,
  REPLY_STREAM_TTL_MS,
  decodeReplyEntry,
  encodeDispatchEntry,
  replyStreamKey,
  type DispatchReply,
  type DispatchRequest,
  unavailableOnRedisLoss,
} from '@falaj/contracts';
import { PoolStreamBudget, openReplyStream, type PoolStreamLimits } from '@falaj/messaging';
import { poolStreamFullError, type PoolStreamLimit } from './stream-budget/pool-stream-admission.policy';

export class DispatchTimeoutError extends Error {}

/** What a dispatch was for: a reply is delivered only if it says it answers exactly this. */
export type DispatchOrigin = Pick<DispatchRequest, 'requestId' | 'tenantId' | 'model' | 'version'>;

/** Why a reply does not answer the dispatch it names (its tenant, model or version differ), or null when it does. */
export function replyMismatch(expected: DispatchOrigin, reply: DispatchReply): string | null {
  if (reply.tenantId !== expected.tenantId) return 'tenant';
  if (reply.model !== expected.model) return 'model';
  if (reply.version !== expected.version) return 'version';
  return null;
}

interface Pending {
  origin: DispatchOrigin;
  /** Date.now() when it was registered: a reply stream found lost fails only what was sent before the check. */
  sentAt: number;
  resolve(reply: DispatchReply): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface PoolDispatcherOptions {
  /** The pool streams' budget (shared in Redis by every gateway and router): past it, a dispatch is refused with 503. */
  limits?: PoolStreamLimits;
  /** Called on each such refusal, with the limit it was over (the edge's metric). */
  onStreamFull?: (limit: PoolStreamLimit) => void;
}

/**
 * How often the reply stream's expiry is pushed back (to REPLY_STREAM_TTL_MS) by its reader, and
 * the stream made again if Redis lost it; workers only ever add to an existing stream.
 */
const REPLY_STREAM_REFRESH_MS = 1000;
/**
 * Replies one XREAD takes at most. With replies up to FALAJ_MAX_REPLY_BYTES (16 MiB) each, this
 * bounds what one read holds in memory; a large reply delays the next read, it disturbs no other.
 */
const REPLY_READ_COUNT = 16;
const REPLY_BLOCK_MS = 1000;

type StreamEntry = [id: Buffer, fields: Buffer[]];

/**
 * Sends a request into its pool's Redis stream and waits for the worker's reply on this
 * instance's own reply stream (replyStreamKey), read by one blocking connection for every
 * request in flight; each entry is deleted once read. Replies are matched by a dispatch id
 * generated here, never by the client's request id (two callers may send the same one), and
 * delivered only when they name the tenant, model and version asked for.
 *
 * A dispatch enters its pool's stream only within the pool's budget (PoolStreamBudget: one Lua
 * script checks it and adds the entry); past it the dispatch is refused at once (503 with
 * Retry-After), and nothing already accepted is ever trimmed to make room.
 *
 * The reply stream is this instance's: made (empty) at start, so a restart under the same id
 * never reads a previous life's replies, its expiry pushed back every REPLY_STREAM_REFRESH_MS
 * while the instance lives. Workers add with NOMKSTREAM and never trim nor set its expiry: a
 * reply is never dropped while its reader lives, and a stream whose reader is gone expires
 * REPLY_STREAM_TTL_MS after its last refresh, replies sent later are dropped by Redis.
 *
 * Redis keeps nothing on disk: when either connection drops, every dispatch in flight is failed
 * at once with BackboneUnavailableError (503, Retry-After) — its entry, and the reply stream its
 * answer would come on, may be gone with Redis, so waiting would only end at the deadline. Whether
 * the worker ran it is unknown; the client retries (with its Idempotency-Key). On reconnection the
 * reply stream is made again before any new answer is due. A Redis that lost its data without a
 * dropped connection (a flush) shows as the reply stream gone at the next refresh (every second):
 * the same then, for what was sent before that check.
 */
export class PoolDispatcher {
  private readonly logger = new Logger(PoolDispatcher.name);
  private readonly pending = new Map<string, Pending>();
  private readonly stream: string;
  private running = false;
  private loopDone?: Promise<void>;
  private refreshTimer?: NodeJS.Timeout;
  private readonly streams: PoolStreamBudget;
  private readonly limits: PoolStreamLimits;

  constructor(
    private readonly redis: Redis,
    /** A connection of its own: it blocks in XREAD. */
    private readonly reader: Redis,
    private readonly prefix: string,
    readonly gatewayId: string,
    private readonly options: PoolDispatcherOptions = {},
  ) {
    this.stream = replyStreamKey(prefix, gatewayId);
    this.streams = new PoolStreamBudget(redis, prefix);
    this.limits = options.limits ?? { maxEntries: DEFAULT_POOL_STREAM_MAX_ENTRIES, maxBytes: DEFAULT_POOL_STREAM_MAX_BYTES };
  }

  async start(): Promise<void> {
    await this.redis.del(this.stream);
    await this.openReplyStream();
    this.redis.on('close', this.onConnectionLost);
    this.reader.on('close', this.onConnectionLost);
    this.redis.on('ready', this.onReconnected);
    this.running = true;
    this.loopDone = this.readReplies();
    this.refreshTimer = setInterval(() => void this.refreshReplyStream(), REPLY_STREAM_REFRESH_MS);
    this.refreshTimer.unref();
  }

  /** An empty stream with its expiry: workers add only to a stream that exists. */
  private async openReplyStream(): Promise<void> {
    await openReplyStream(this.redis, this.stream);
  }

  private async refreshReplyStream(): Promise<void> {
    try {
      const checkedAt = Date.now();
      // 0: Redis lost the stream (a flush, a restart without persistence): make it again. Any
      // answer due on it meanwhile was dropped (workers add with NOMKSTREAM), and the requests
      // themselves may have gone with the pool streams: what was in flight is failed as retryable.
      if ((await this.redis.pexpire(this.stream, REPLY_STREAM_TTL_MS)) === 0 && this.running) {
        await this.openReplyStream();
        this.failInFlight('Redis lost the reply stream while the request was in flight', checkedAt);
      }
    } catch (error) {
      this.logger.warn(`could not refresh the reply stream: ${(error as Error).message}`);
    }
  }

  /** Redis dropped a connection: nothing in flight can count on its entry or its reply any more. */
  private readonly onConnectionLost = (): void => this.failInFlight('the connection to Redis was lost while the request was in flight');

  /** Fails, as retryable, every dispatch in flight sent by `before` (all by default). */
  private failInFlight(why: string, before = Infinity): void {
    if (!this.running) return;
    let failed = 0;
    for (const [dispatchId, pending] of this.pending) {
      if (pending.sentAt > before) continue;
      this.pending.delete(dispatchId);
      clearTimeout(pending.timer);
      pending.reject(new BackboneUnavailableError(`${why}; whether it ran is unknown: retry it (with its Idempotency-Key)`));
      failed++;
    }
    if (failed > 0) this.logger.warn({ failed }, `${why}: dispatches in flight failed as retryable`);
  }

  private readonly onReconnected = (): void => {
    if (this.running) void this.refreshReplyStream();
  };

  async stop(): Promise<void> {
    this.running = false;
    this.redis.off('close', this.onConnectionLost);
    this.reader.off('close', this.onConnectionLost);
    this.redis.off('ready', this.onReconnected);
    clearInterval(this.refreshTimer);
    for (const [, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error('gateway shutting down'));
    }
    this.pending.clear();
    // Ends the blocking read at once rather than after its timeout.
    this.reader.disconnect();
    await this.loopDone;
  }

  private async readReplies(): Promise<void> {
    let lastId = '0-0';
    /** Replies read and not yet deleted: deleted by the same write that asks for the next ones. */
    let read: Buffer[] = [];
    while (this.running) {
      try {
        const result = await this.nextReplies(read, lastId);
        read = [];
        if (!result) continue;
        for (const [, entries] of result) {
          for (const [id, fields] of entries) {
            read.push(id);
            lastId = id.toString();
            this.onReply(fields);
          }
        }
      } catch (error) {
        if (!this.running) break;
        this.logger.warn(`reply stream read failed: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /**
   * The next replies after `lastId`, deleting those read before in the same pipeline (one write,
   * one round trip: the XDEL is answered at once, then the XREAD blocks): read once, by this
   * reader only, nothing is left behind to grow the stream.
   */
  private async nextReplies(read: Buffer[], lastId: string): Promise<[Buffer, StreamEntry[]][] | null> {
    const args = ['COUNT', REPLY_READ_COUNT, 'BLOCK', REPLY_BLOCK_MS, 'STREAMS', this.stream, lastId] as const;
    if (read.length === 0) return (await this.reader.callBuffer('XREAD', ...args)) as [Buffer, StreamEntry[]][] | null;
    const results = await this.reader
      .pipeline()
      .xdel(this.stream, ...read)
      .callBuffer('XREAD', ...args)
      .exec();
    const [deleted, replies] = results ?? [];
    if (deleted?.[0]) this.logger.warn(`could not delete read replies: ${deleted[0].message}`);
    if (replies?.[0]) throw replies[0];
    return (replies?.[1] ?? null) as [Buffer, StreamEntry[]][] | null;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  dispatch(pool: string, request: Omit<DispatchRequest, 'replyTo' | 'dispatchId'>, timeoutMs: number): Promise<DispatchReply> {
    const dispatchId = randomUUID();
    return new Promise<DispatchReply>((resolve, reject) => {
      // Registered before the send: a fast worker may answer before XADD returns.
      const timer = setTimeout(() => {
        this.pending.delete(dispatchId);
        reject(new DispatchTimeoutError(`no reply from pool ${pool} within ${timeoutMs} ms`));
      }, timeoutMs);
      const { requestId, tenantId, model, version } = request;
      this.pending.set(dispatchId, { origin: { requestId, tenantId, model, version }, sentAt: Date.now(), resolve, reject, timer });
      const fields = encodeDispatchEntry({ ...request, dispatchId, replyTo: this.gatewayId });
      const fail = (error: Error) => {
        clearTimeout(timer);
        this.pending.delete(dispatchId);
        reject(error);
      };
      this.streams.enqueue(pool, fields, this.limits).then(
        (outcome) => {
          if (outcome.accepted) return;
          this.options.onStreamFull?.(outcome.limit);
          fail(poolStreamFullError(pool, outcome.limit, outcome, outcome.entryBytes, this.limits));
        },
        (error: Error) => fail(unavailableOnRedisLoss(error) as Error),
      );
    });
  }

  private onReply(fields: Buffer[]): void {
    let reply: DispatchReply;
    try {
      reply = decodeReplyEntry(fields);
    } catch (error) {
      if (error instanceof DispatchDecodeError) this.logger.warn(`dropping an undecodable reply: ${error.message}`);
      return;
    }
    const pending = this.pending.get(reply.dispatchId);
    if (!pending) return; // timed out already
    const mismatch = replyMismatch(pending.origin, reply);
    if (mismatch !== null) {
      // Never delivered: the dispatch keeps waiting for its own answer (or times out).
      const { origin } = pending;
      this.logger.warn(
        { dispatchId: reply.dispatchId, requestId: origin.requestId, tenantId: origin.tenantId, model: origin.model, version: origin.version, workerId: reply.workerId, mismatch },
        `dropping a reply whose ${mismatch} does not match its dispatch`,
      );
      return;
    }
    this.pending.delete(reply.dispatchId);
    clearTimeout(pending.timer);
    pending.resolve(reply);
  }
}
