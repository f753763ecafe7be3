import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { BatchJobName, batchChunkQueue, bullPrefix, chunkJobId, type BatchChunkPayload } from '@falaj/contracts';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';

/** The chunk queues, one per pool; the only place the registry talks to BullMQ as a producer. */
@Injectable()
export class BatchQueues implements OnApplicationShutdown {
  readonly connection: IORedis;
  private readonly queues = new Map<string, Queue>();

  constructor(@Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig) {
    // BullMQ blocks on its connection: it must not give up on commands while Redis restarts.
    this.connection = new IORedis(config.redisUrl, { maxRetriesPerRequest: null, connectionName: 'registry:batch' });
  }

  async enqueue(pool: string, payload: BatchChunkPayload, attempt: number, priority: number): Promise<void> {
    await this.queue(pool).add(BatchJobName.RunChunk, payload, {
      jobId: chunkJobId(payload.jobId, payload.chunk, attempt),
      priority,
      attempts: 3,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: { age: 3600 },
      removeOnFail: { age: 24 * 3600 },
    });
  }

  /** What BullMQ knows of a chunk's job: 'unknown' once Redis has lost it. */
  async stateOf(pool: string, jobId: string, chunk: number, attempt: number): Promise<{ state: string; failedReason?: string }> {
    const queue = this.queue(pool);
    const id = chunkJobId(jobId, chunk, attempt);
    const state = await queue.getJobState(id);
    if (state !== 'failed') return { state };
    return { state, failedReason: (await queue.getJob(id))?.failedReason };
  }

  async remove(pool: string, jobId: string, chunk: number, attempt: number): Promise<void> {
    await this.queue(pool).remove(chunkJobId(jobId, chunk, attempt)).catch(() => 0);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const queue of this.queues.values()) await queue.close();
    await this.connection.quit().catch(() => undefined);
  }

  private queue(pool: string): Queue {
    let queue = this.queues.get(pool);
    if (!queue) {
      queue = new Queue(batchChunkQueue(pool), { connection: this.connection, prefix: bullPrefix(this.config.prefix) });
      this.queues.set(pool, queue);
    }
    return queue;
  }
}
