import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import {
  DEFAULT_MAX_REPLY_BYTES,
  REPLY_FIELD,
  REPLY_TOO_LARGE_STATUS,
  decodeDispatchEntry,
  encodeReply,
  entryBytes,
  poolConsumerGroup,
  poolStreamKey,
  replyDataBytes,
  workerLeaseKey,
  replyStreamKey,
  type DispatchReply,
  type DispatchRequest,
} from '@falaj/contracts';
import { PoolStreamBudget, type RedisEndpoint } from '@falaj/messaging';
import type { WorkerMetrics } from '@falaj/observability';
import { SpanKind, endSpan, recordedTraceId, tracing } from '@falaj/tracing';
import { claimLapsed, pendingConsumers } from './lapsed-claim';
import type { ModelHost } from './model-host';
import { requestSpans } from './request-spans';
import { WorkerLease } from './worker-lease';
import { RunLedger } from './run-ledger';

export interface PoolStreamServerOptions {
  prefix: string;
  pool: string;
  workerId: string;
  /** Requests held at once (queued in batchers or running); past it the worker reads no more. */
  concurrency: number;
  /**
   * Most requests waiting for an instance (the batchers' backlog); the worker reads more only below
   * it, and one XREADGROUP takes at most the difference. Unbounded (only `concurrency`) by default.
   */
  readCount?: number;
  /**
   * The worker's liveness lease (WorkerLease): held before the worker joins the group; the
   * entries of a consumer whose lease has lapsed are claimed by the pool's live workers.
   */
  lease: { endpoint: RedisEndpoint; ttlMs: number };
  /** How often to look for lapsed consumers' entries (default a quarter of the lease, at most 250 ms). */
  reclaimEveryMs?: number;
  /**
   * How often the entries this worker holds (queued or running) have their idle time reset: not
   * needed by the lease, kept so that a worker of an older release, which claims by idle time
   * alone, never takes one while it runs here.
   */
  touchEveryMs?: number;
  /** The largest answer sent (its outputs' bytes); a larger one is answered 422 instead. */
  maxReplyBytes?: number;
  /** Where to note each model run (RunLedger); none by default. */
  runLedgerFile?: string;
  /** The worker's metrics: each request's outcome, queue and compute time. */
  metrics?: WorkerMetrics;
}

type StreamEntry = [id: Buffer, fields: Buffer[]];

/**
 * Serves the pool's request stream through the pool's consumer group: it pulls only as many
 * entries as it has free slots, so load spreads by itself across the pool's workers, and entries
 * left pending by a dead worker are claimed and served here.
 */
export class PoolStreamServer {
  private readonly logger = new Logger(PoolStreamServer.name);
  private readonly key: string;
  private readonly group: string;
  private running = false;
  private loopDone?: Promise<void>;
  private reclaimTimer?: NodeJS.Timeout;
  private inFlight = 0;
  private slotFreed?: () => void;
  private outbox: { id: Buffer; bytes: number; stream?: string; reply?: Buffer }[] = [];
  private readonly budget: PoolStreamBudget;
  private flushing?: Promise<void>;
  /** Entries held here, queued or running, by id: kept fresh, never reclaimed onto this worker twice. */
  private readonly held = new Map<string, Buffer>();
  private touchTimer?: NodeJS.Timeout;
  private selfTimer?: NodeJS.Timeout;
  private lease?: WorkerLease;
  private reclaiming = false;
  private readonly runs: RunLedger;

  constructor(
    private readonly reader: Redis,
    private readonly writer: Redis,
    private readonly host: ModelHost,
    private readonly options: PoolStreamServerOptions,
  ) {
    this.key = poolStreamKey(options.prefix, options.pool);
    this.group = poolConsumerGroup(options.prefix);
    this.budget = new PoolStreamBudget(writer, options.prefix);
    this.runs = new RunLedger(options.runLedgerFile);
  }

  /** Requests held: queued in a batcher or running. */
  get busy(): number {
    return this.inFlight;
  }

  async start(): Promise<void> {
    const { lease, prefix, pool, workerId } = this.options;
    this.lease = await WorkerLease.hold(lease.endpoint, workerLeaseKey(prefix, pool, workerId), lease.ttlMs, `${workerId}:lease`);
    await this.ensureGroup();
    this.running = true;
    this.loopDone = this.loop();
    this.reclaimTimer = setInterval(() => void this.reclaim(), this.options.reclaimEveryMs ?? Math.min(250, Math.floor(lease.ttlMs / 4)));
    this.reclaimTimer.unref();
    this.touchTimer = setInterval(() => void this.touch(), this.options.touchEveryMs ?? 5000);
    this.touchTimer.unref();
    this.selfTimer = setInterval(() => void this.recoverOwn(), Math.max(5000, 2 * lease.ttlMs));
    this.selfTimer.unref();
    this.logger.log({ stream: this.key, consumer: workerId, leaseMs: lease.ttlMs }, 'serving the pool stream');
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.reclaimTimer);
    clearInterval(this.touchTimer);
    clearInterval(this.selfTimer);
    this.slotFreed?.();
    await this.loopDone;
    while (this.inFlight > 0) await new Promise<void>((resolve) => (this.slotFreed = resolve));
    // Everything held was answered: nothing of this worker's is left to claim.
    await this.lease?.release();
    await this.runs.close();
  }

  private async ensureGroup(): Promise<void> {
    try {
      // From '0': requests queued before the pool's first worker came up are still served.
      await this.writer.xgroup('CREATE', this.key, this.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
  }

  private async loop(): Promise<void> {
    while (this.running) {
      // Reads only while the batchers' backlog is short: entries a busy worker does not take stay in
      // the stream for the pool's other workers instead of waiting here behind a long queue.
      const free = Math.min(this.options.concurrency - this.inFlight, (this.options.readCount ?? Infinity) - this.host.queueDepth);
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      try {
        const reply = (await this.reader.callBuffer('XREADGROUP', 'GROUP', this.group, this.options.workerId, 'COUNT', free, 'BLOCK', 1000, 'STREAMS', this.key, '>')) as
          [Buffer, StreamEntry[]][] | null;
        if (!reply) continue;
        for (const [, entries] of reply) for (const entry of entries) this.dispatch(entry);
      } catch (error) {
        if (!this.running) break;
        this.logger.warn(`stream read failed: ${(error as Error).message}`);
        // Redis lost the stream (a flush, a restart without persistence): make it again.
        if (String((error as Error).message).includes('NOGROUP')) await this.ensureGroup().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private dispatch([id, fields]: StreamEntry): void {
    const key = id.toString();
    // Held here already (a touch that failed let it look idle): it runs once, here.
    if (this.held.has(key)) return;
    this.held.set(key, id);
    this.inFlight++;
    void this.handle(id, fields).finally(() => {
      this.held.delete(key);
      this.inFlight--;
      const notify = this.slotFreed;
      this.slotFreed = undefined;
      notify?.();
    });
  }

  private async handle(id: Buffer, fields: Buffer[]): Promise<void> {
    // What the entry counts for in the stream's budget: measured now, before the fields are released.
    const bytes = entryBytes(fields);
    let request: DispatchRequest;
    try {
      request = decodeDispatchEntry(fields);
    } catch (error) {
      this.logger.warn({ id: id.toString(), error: (error as Error).message }, 'dropping an undecodable stream entry');
      return this.finish(id, bytes);
    }
    if (Date.now() > request.deadline) {
      // Nobody waits for this answer any more: running it would only delay the live ones.
      this.observe(id, request, 504);
      return this.finish(id, bytes);
    }
    // The worker's span of the request, under the dispatch span that sent it (only for a caller that traces).
    const tracer = tracing();
    const span =
      tracer.enabled && request.traceparent !== undefined
        ? tracer.startSpan('serve', request.traceparent, {
            kind: SpanKind.CONSUMER,
            attributes: { 'falaj.model': request.model, 'falaj.version': request.version, 'falaj.worker': this.options.workerId },
          })
        : undefined;
    if (span) requestSpans.set(request, span);
    const reply = await this.execute(request);
    this.observe(id, request, reply.ok ? 200 : reply.status, reply.ok ? reply.computeMs : undefined, recordedTraceId(span));
    if (!span) return this.finish(id, bytes, replyStreamKey(this.options.prefix, request.replyTo), encodeReply(reply));
    const replying = tracer.startSpan('reply', span, { kind: SpanKind.PRODUCER });
    try {
      await this.finish(id, bytes, replyStreamKey(this.options.prefix, request.replyTo), encodeReply(reply));
    } finally {
      endSpan(replying);
      endSpan(span, reply.ok ? undefined : new Error(`${reply.status}: ${reply.error}`));
    }
  }

  private async execute(request: DispatchRequest): Promise<DispatchReply> {
    // The reply names the dispatch it answers and whose model ran: the dispatcher checks both.
    const origin = {
      dispatchId: request.dispatchId,
      requestId: request.requestId,
      tenantId: request.tenantId,
      model: request.model,
      version: request.version,
      workerId: this.options.workerId,
    };
    try {
      const outcome = await this.host.infer(request);
      if (!outcome.ok) return { ok: false, ...origin, status: outcome.status, error: outcome.error };
      this.runs.ran(request.requestId, request.dispatchId, request.replyTo);
      const bytes = replyDataBytes(outcome.outputs);
      const limit = this.options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
      if (bytes > limit) {
        // Never sent: one oversized answer must not weigh on the replies of everyone else.
        this.logger.warn({ requestId: request.requestId, dispatchId: request.dispatchId, model: request.model, bytes, limit }, 'answer over the reply limit');
        return { ok: false, ...origin, status: REPLY_TOO_LARGE_STATUS, error: replyTooLargeMessage(bytes, limit) };
      }
      return { ok: true, ...origin, outputs: outcome.outputs, computeMs: outcome.computeMs };
    } catch (error) {
      this.logger.warn({ requestId: request.requestId, dispatchId: request.dispatchId, model: request.model, error: (error as Error).message }, 'inference failed');
      return { ok: false, ...origin, status: 500, error: `model execution failed: ${(error as Error).message}` };
    }
  }

  /**
   * One request's outcome; for one that ran, its queue time (from the stream entry's XADD, the
   * time in its id, to its compute's start: the stream and the batcher) and its compute time;
   * a traced request's trace id is their exemplar.
   */
  private observe(id: Buffer, request: DispatchRequest, status: number, computeMs?: number, traceId?: string): void {
    const metrics = this.options.metrics;
    if (!metrics) return;
    const series = metrics.version(request.tenantId, request.model, request.version);
    if (computeMs === undefined) return metrics.answered(series, status);
    const queuedMs = Math.max(0, Date.now() - streamIdMs(id) - computeMs);
    metrics.answered(series, status, queuedMs / 1000, computeMs / 1000, traceId);
  }

  /**
   * Removes an entry from the pool stream (and publishes its reply). Everything finished in the
   * same turn of the event loop — a batch's members finish together — goes in one pipeline: one
   * XADD per reply and one script that acknowledges, deletes and takes the entries' bytes off the
   * stream's budget (PoolStreamBudget.remove), whatever the reason the entry leaves.
   */
  private finish(id: Buffer, bytes: number, stream?: string, reply?: Buffer): Promise<void> {
    this.outbox.push({ id, bytes, stream, reply });
    this.flushing ??= new Promise<void>((resolve) => setImmediate(() => resolve(this.flush())));
    return this.flushing;
  }

  private async flush(): Promise<void> {
    const batch = this.outbox;
    this.outbox = [];
    this.flushing = undefined;
    const pipeline = this.writer.pipeline();
    for (const { stream, reply } of batch) {
      if (!stream || !reply) continue;
      // NOMKSTREAM: only to a reply stream its reader made and keeps alive (PoolDispatcher); never
      // trimmed, its expiry the reader's. A gone reader's reply is dropped by Redis.
      pipeline.xadd(stream, 'NOMKSTREAM', '*', REPLY_FIELD, reply);
    }
    this.budget.removeIn(pipeline, this.options.pool, this.group, batch);
    try {
      await pipeline.exec();
    } catch (error) {
      // The entries stay pending here; recoverOwn serves them again once Redis is back.
      this.logger.warn({ entries: batch.length, error: (error as Error).message }, 'could not publish replies');
    }
  }

  /**
   * Resets the idle time of every entry held here (XCLAIM … JUSTID to this same consumer: no
   * delivery is counted, nothing is returned), so a request that runs longer than reclaimIdleMs
   * is not taken for a dead worker's and run a second time elsewhere.
   */
  private async touch(): Promise<void> {
    if (this.held.size === 0) return;
    try {
      await this.writer.xclaim(this.key, this.group, this.options.workerId, 0, ...this.held.values(), 'JUSTID');
    } catch (error) {
      this.logger.warn(`could not keep held entries fresh: ${(error as Error).message}`);
    }
  }

  /**
   * Claims, and serves, the entries of every consumer whose liveness lease has lapsed (a worker
   * that died: its lease outlives it by lease.ttlMs). The lease is checked in the claim itself.
   */
  private async reclaim(): Promise<void> {
    if (!this.running || this.reclaiming) return;
    this.reclaiming = true;
    try {
      for (const { consumer } of await pendingConsumers(this.writer, this.key, this.group)) {
        const free = this.options.concurrency - this.inFlight;
        if (!this.running || free <= 0) return;
        if (consumer === this.options.workerId) continue;
        const lease = workerLeaseKey(this.options.prefix, this.options.pool, consumer);
        const entries = await claimLapsed(this.writer, this.key, lease, this.group, this.options.workerId, consumer, free);
        if (!entries || entries.length === 0) continue;
        for (const entry of entries) this.dispatch(entry);
        this.logger.warn({ claimed: entries.length, from: consumer }, 'claimed the entries of a worker whose lease lapsed');
      }
    } catch (error) {
      if (!String((error as Error).message).includes('NOGROUP')) this.logger.warn(`reclaim failed: ${(error as Error).message}`);
    } finally {
      this.reclaiming = false;
    }
  }

  /**
   * Serves again this worker's own entries that are pending but no longer held (their answer
   * could not be written: Redis was away), once idle long enough that no write is in flight.
   */
  private async recoverOwn(): Promise<void> {
    const free = this.options.concurrency - this.inFlight;
    if (!this.running || free <= 0) return;
    try {
      const minIdle = Math.max(5000, 2 * this.options.lease.ttlMs);
      const pending = (await this.writer.xpending(this.key, this.group, 'IDLE', minIdle, '-', '+', free, this.options.workerId)) as [string, string, number, number][];
      const lost = pending.map(([id]) => id).filter((id) => !this.held.has(id));
      if (lost.length === 0) return;
      const entries = (await this.writer.callBuffer('XCLAIM', this.key, this.group, this.options.workerId, minIdle, ...lost)) as (StreamEntry | null)[];
      for (const entry of entries) if (entry) this.dispatch(entry);
      this.logger.warn({ recovered: entries.length }, 'serving again entries of its own left pending');
    } catch (error) {
      this.logger.warn(`own pending entries check failed: ${(error as Error).message}`);
    }
  }
}

/** The milliseconds part of a stream id (`<ms>-<seq>`), read from its bytes without a string. */
export function streamIdMs(id: Buffer): number {
  let ms = 0;
  for (let i = 0; i < id.length; i++) {
    const digit = id[i] - 48;
    if (digit < 0 || digit > 9) break;
    ms = ms * 10 + digit;
  }
  return ms;
}

/** What the caller of an oversized answer is told: the sizes, and what would fit. */
export function replyTooLargeMessage(bytes: number, limit: number): string {
  return `the answer is ${bytes} bytes, over the reply limit of ${limit} bytes: ask for fewer outputs or a smaller batch`;
}
