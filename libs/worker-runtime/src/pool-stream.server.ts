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
import { fromOrtTensor, toOrtTensor } from '@falaj/onnx';
import { ModelNotLoadedError, type ModelHost } from './model-host';

export interface PoolStreamServerOptions {
  prefix: string;
  pool: string;
  workerId: string;
  concurrency: number;
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

  constructor(
    private readonly reader: Redis,
    private readonly writer: Redis,
    private readonly host: ModelHost,
    private readonly options: PoolStreamServerOptions,
  ) {
    this.key = poolStreamKey(options.prefix, options.pool);
    this.group = poolConsumerGroup(options.prefix);
  }

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
      const free = this.options.concurrency - this.inFlight;
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
      await this.writer.multi().xack(this.key, this.group, id).xdel(this.key, id).exec();
      return;
    }
    if (Date.now() > request.deadline) {
      // Nobody waits for this answer any more: running it would only delay the live ones.
      await this.writer.multi().xack(this.key, this.group, id).xdel(this.key, id).exec();
      return;
    }
    const reply = await this.execute(request);
    await this.writer
      .multi()
      .publish(replyChannel(this.options.prefix, request.replyTo), encodeReply(reply))
      .xack(this.key, this.group, id)
      .xdel(this.key, id)
      .exec();
  }

  private async execute(request: DispatchRequest): Promise<DispatchReply> {
    const { requestId } = request;
    const workerId = this.options.workerId;
    try {
      const feeds = Object.fromEntries(request.inputs.map((t) => [t.name, toOrtTensor(t)]));
      const started = performance.now();
      const results = await this.host.run(request.tenantId, request.model, request.version, feeds, request.outputs);
      const computeMs = performance.now() - started;
      const outputs = Object.entries(results).map(([name, tensor]) => fromOrtTensor(name, tensor));
      return { ok: true, requestId, version: request.version, workerId, outputs, computeMs };
    } catch (error) {
      if (error instanceof ModelNotLoadedError) return { ok: false, requestId, workerId, status: 503, error: error.message };
      this.logger.warn({ requestId, model: request.model, error: (error as Error).message }, 'inference failed');
      return { ok: false, requestId, workerId, status: 500, error: `model execution failed: ${(error as Error).message}` };
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
