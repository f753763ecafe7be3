import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import type IORedis from 'ioredis';
import { createRedis } from '@falaj/messaging';
import { BATCH_RUNS_QUEUE, BatchJobName, bullPrefix, chunkJobId, type BatchRun } from '@falaj/contracts';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';

/** The chunk queue: the only place the registry talks to BullMQ as a producer (BatchRunner consumes it). */
@Injectable()
export class BatchQueues implements OnApplicationShutdown {
  readonly connection: IORedis;
  readonly queue: Queue;

  constructor(@Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig) {
    this.connection = createRedis(config.redis, 'registry:batch', { retryForever: true });
    this.queue = new Queue(BATCH_RUNS_QUEUE, { connection: this.connection, prefix: bullPrefix(config.prefix) });
  }

  async enqueue(run: BatchRun, attempt: number, priority: number): Promise<void> {
    await this.queue.add(BatchJobName.RunChunk, run, {
      jobId: chunkJobId(run.jobId, run.chunk, attempt),
      priority,
      attempts: 3,
      backoff: { type: 'exponential', delay: 500 },
      // Postgres holds every row's result; BullMQ's record of an ended chunk only serves the
      // reconciler, which treats a removed one as 'unknown' and re-runs it only if rows are still
      // pending. So ended chunks are bounded by count as well as age: a burst of small jobs does
      // not keep an hour of chunk records in Redis (the 30-minute soak left ~9,000).
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 24 * 3600, count: 5000 },
    });
  }

  /** What BullMQ knows of a chunk's job: 'unknown' once Redis has lost it. */
  async stateOf(jobId: string, chunk: number, attempt: number): Promise<{ state: string; failedReason?: string }> {
    const id = chunkJobId(jobId, chunk, attempt);
    const state = await this.queue.getJobState(id);
    if (state !== 'failed') return { state };
    return { state, failedReason: (await this.queue.getJob(id))?.failedReason };
  }

  async remove(jobId: string, chunk: number, attempt: number): Promise<void> {
    await this.queue.remove(chunkJobId(jobId, chunk, attempt)).catch(() => 0);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
    await this.connection.quit().catch(() => undefined);
  }
}
