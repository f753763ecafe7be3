import { Logger } from '@nestjs/common';
import { Queue, Worker, type Job } from 'bullmq';
import IORedis from 'ioredis';
import {
  BATCH_RESULTS_QUEUE,
  BatchChunkPayloadSchema,
  BatchJobName,
  batchChunkQueue,
  bullPrefix,
  type BatchChunkPayload,
  type BatchRowResult,
} from '@falaj/contracts';
import { OipError, decodeJsonInferRequest, encodeJsonInferResponse } from '@falaj/oip';
import { fromOrtTensor, toOrtTensor } from '@falaj/onnx';
import type { ModelHost } from './model-host';

export interface BatchChunkProcessorOptions {
  redisUrl: string;
  prefix: string;
  pool: string;
  workerId: string;
  /** Chunks one worker runs at once. */
  concurrency: number;
  /** A chunk whose worker stops renewing its lock this long is handed to another worker. */
  lockMs: number;
}

/** Rows of one chunk run side by side, so the session's threads (and the batcher) stay busy. */
const ROWS_AT_ONCE = 8;

/**
 * Runs batch-job chunks of the worker's pool from BullMQ. Each row is answered on its own (a bad
 * row fails alone); the chunk's answers go to the registry on the results queue under an id
 * derived from the chunk's, so a chunk re-run after a crash adds nothing twice.
 */
export class BatchChunkProcessor {
  private readonly logger = new Logger(BatchChunkProcessor.name);
  private readonly connection: IORedis;
  private readonly results: Queue;
  private worker?: Worker;

  constructor(
    private readonly host: ModelHost,
    private readonly options: BatchChunkProcessorOptions,
  ) {
    this.connection = new IORedis(options.redisUrl, { maxRetriesPerRequest: null, connectionName: `${options.workerId}:batch` });
    this.results = new Queue(BATCH_RESULTS_QUEUE, { connection: this.connection, prefix: bullPrefix(options.prefix) });
  }

  start(): void {
    this.worker = new Worker(batchChunkQueue(this.options.pool), (job) => this.process(job), {
      connection: this.connection,
      prefix: bullPrefix(this.options.prefix),
      concurrency: this.options.concurrency,
      lockDuration: this.options.lockMs,
      stalledInterval: Math.max(1000, Math.floor(this.options.lockMs / 2)),
    });
    this.worker.on('failed', (job, error) => this.logger.warn({ job: job?.id, error: error.message }, 'batch chunk failed'));
  }

  async stop(): Promise<void> {
    await this.worker?.close();
    await this.results.close();
    await this.connection.quit().catch(() => undefined);
  }

  private async process(job: Job): Promise<void> {
    const chunk: BatchChunkPayload = BatchChunkPayloadSchema.parse(job.data);
    const hosted = this.host.get(chunk.tenantId, chunk.model, chunk.version);
    // Not (yet) loaded here: failing the attempt lets BullMQ retry it later, here or elsewhere.
    if (!hosted) throw new Error(`model '${chunk.model}' version ${chunk.version} is not loaded on ${this.options.workerId}`);
    const rows: BatchRowResult[] = [];
    for (let i = 0; i < chunk.rows.length; i += ROWS_AT_ONCE) {
      rows.push(...(await Promise.all(chunk.rows.slice(i, i + ROWS_AT_ONCE).map((row) => this.runRow(chunk, row.index, row.request, hosted.signature)))));
    }
    await this.results.add(
      BatchJobName.ChunkResults,
      { jobId: chunk.jobId, chunk: chunk.chunk, workerId: this.options.workerId, rows },
      { jobId: `${job.id}-results`, priority: chunk.priority, removeOnComplete: { age: 3600 }, attempts: 5, backoff: { type: 'exponential', delay: 500 } },
    );
  }

  private async runRow(
    chunk: BatchChunkPayload,
    index: number,
    request: unknown,
    signature: Parameters<typeof decodeJsonInferRequest>[1],
  ): Promise<BatchRowResult> {
    try {
      const decoded = decodeJsonInferRequest(request, signature);
      const feeds = Object.fromEntries(decoded.inputs.map((t) => [t.name, toOrtTensor(t)]));
      const results = await this.host.run(chunk.tenantId, chunk.model, chunk.version, feeds, decoded.outputs);
      const outputs = Object.entries(results).map(([name, tensor]) => fromOrtTensor(name, tensor));
      const response = encodeJsonInferResponse({ modelName: chunk.model, modelVersion: String(chunk.version), id: decoded.id, outputs });
      return { index, ok: true, response: response as unknown as Record<string, unknown> };
    } catch (error) {
      const status = error instanceof OipError ? error.status : 500;
      return { index, ok: false, status, error: (error as Error).message };
    }
  }
}
