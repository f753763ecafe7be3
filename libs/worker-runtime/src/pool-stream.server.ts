import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import {
  decodeDispatchEntry,
  encodeReply,
  poolConsumerGroup,
  poolStreamKey,
  replyChannel,
  type DispatchReply,
  type DispatchRequest,
} from '@falaj/contracts';
import type { ModelHost } from './model-host';

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
  /** A pending entry idle this long belongs to a worker presumed dead; a live one claims it. */
  reclaimIdleMs?: number;
  /** How often to look for such entries. */
  reclaimEveryMs?: number;
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
  private outbox: { id: Buffer; channel?: string; reply?: Buffer }[] = [];
  private flushing?: Promise<void>;

  constructor(
    private readonly reader: Redis,
    private readonly writer: Redis,
    private readonly host: ModelHost,
    private readonly options: PoolStreamServerOptions,
  ) {
    this.key = poolStreamKey(options.prefix, options.pool);
    this.group = poolConsumerGroup(options.prefix);
  }

  /** Requests held: queued in a batcher or running. */
  get busy(): number {
    return this.inFlight;
  }

  async start(): Promise<void> {
    await this.ensureGroup();
    this.running = true;
    this.loopDone = this.loop();
    this.reclaimTimer = setInterval(() => void this.reclaim(), this.options.reclaimEveryMs ?? 5000);
    this.reclaimTimer.unref();
    this.logger.log({ stream: this.key, consumer: this.options.workerId }, 'serving the pool stream');
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.reclaimTimer);
    this.slotFreed?.();
    await this.loopDone;
    while (this.inFlight > 0) await new Promise<void>((resolve) => (this.slotFreed = resolve));
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
        const reply = (await this.reader.callBuffer(
          'XREADGROUP', 'GROUP', this.group, this.options.workerId, 'COUNT', free, 'BLOCK', 1000, 'STREAMS', this.key, '>',
        )) as [Buffer, StreamEntry[]][] | null;
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
    this.inFlight++;
    void this.handle(id, fields).finally(() => {
      this.inFlight--;
      const notify = this.slotFreed;
      this.slotFreed = undefined;
      notify?.();
    });
  }

  private async handle(id: Buffer, fields: Buffer[]): Promise<void> {
    let request: DispatchRequest;
    try {
      request = decodeDispatchEntry(fields);
    } catch (error) {
      this.logger.warn({ id: id.toString(), error: (error as Error).message }, 'dropping an undecodable stream entry');
      return this.finish(id);
    }
    if (Date.now() > request.deadline) {
      // Nobody waits for this answer any more: running it would only delay the live ones.
      return this.finish(id);
    }
    const reply = await this.execute(request);
    return this.finish(id, replyChannel(this.options.prefix, request.replyTo), encodeReply(reply));
  }

  private async execute(request: DispatchRequest): Promise<DispatchReply> {
    const { requestId } = request;
    const workerId = this.options.workerId;
    try {
      const outcome = await this.host.infer(request);
      if (!outcome.ok) return { ok: false, requestId, workerId, status: outcome.status, error: outcome.error };
      return { ok: true, requestId, version: request.version, workerId, outputs: outcome.outputs, computeMs: outcome.computeMs };
    } catch (error) {
      this.logger.warn({ requestId, model: request.model, error: (error as Error).message }, 'inference failed');
      return { ok: false, requestId, workerId, status: 500, error: `model execution failed: ${(error as Error).message}` };
    }
  }

  /**
   * Acknowledges an entry (and publishes its reply). Everything finished in the same turn of the
   * event loop — a batch's members finish together — goes in one pipeline with one XACK and one
   * XDEL, instead of a MULTI round of five commands per request.
   */
  private finish(id: Buffer, channel?: string, reply?: Buffer): Promise<void> {
    this.outbox.push({ id, channel, reply });
    this.flushing ??= new Promise<void>((resolve) => setImmediate(() => resolve(this.flush())));
    return this.flushing;
  }

  private async flush(): Promise<void> {
    const batch = this.outbox;
    this.outbox = [];
    this.flushing = undefined;
    const pipeline = this.writer.pipeline();
    for (const { channel, reply } of batch) if (channel && reply) pipeline.publish(channel, reply);
    const ids = batch.map((b) => b.id);
    pipeline.xack(this.key, this.group, ...ids).xdel(this.key, ...ids);
    try {
      await pipeline.exec();
    } catch (error) {
      // The entries stay pending; a live worker claims them after reclaimIdleMs.
      this.logger.warn({ entries: batch.length, error: (error as Error).message }, 'could not publish replies');
    }
  }

  /** Claims entries a dead worker left pending, and serves them. */
  private async reclaim(): Promise<void> {
    const free = this.options.concurrency - this.inFlight;
    if (!this.running || free <= 0) return;
    try {
      const [, entries] = (await this.writer.callBuffer(
        'XAUTOCLAIM', this.key, this.group, this.options.workerId, this.options.reclaimIdleMs ?? 15_000, '0-0', 'COUNT', free,
      )) as [Buffer, (StreamEntry | null)[]];
      for (const entry of entries) if (entry) this.dispatch(entry);
      if (entries.length > 0) this.logger.warn({ claimed: entries.length }, 'claimed entries left pending by another worker');
    } catch (error) {
      this.logger.warn(`reclaim failed: ${(error as Error).message}`);
    }
  }
}
