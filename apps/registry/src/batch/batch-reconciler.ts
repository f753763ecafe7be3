import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { In, LessThan, type DataSource } from 'typeorm';
import { BatchChunkEntity } from './batch-chunk.entity';
import { BatchJobEntity } from './batch-job.entity';
import { BatchJobsService } from './batch-jobs.service';
import { BatchQueues } from './batch-queues';
import { failedRow } from './job-row';

const EVERY_MS = 2000;
/** A chunk enqueued this long ago with rows still pending is checked against BullMQ. */
const CHECK_AFTER_MS = 3000;
/** Attempts of one chunk before its remaining rows are reported failed. */
const MAX_ATTEMPTS = 5;

/**
 * Postgres is the source of truth: every few seconds, each unfinished chunk is looked up in
 * BullMQ, and one that Redis no longer knows (flushed, restarted without persistence) is
 * enqueued again. Running the same rows twice is harmless — a row is answered once.
 */
@Injectable()
export class BatchReconciler implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(BatchReconciler.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly queues: BatchQueues,
    private readonly jobs: BatchJobsService,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.running ??= this.reconcile()
        .catch((error: Error) => this.logger.warn(`reconcile failed: ${error.message}`))
        .finally(() => (this.running = undefined));
    }, EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async reconcile(): Promise<void> {
    const chunks = await this.db.getRepository(BatchChunkEntity).find({
      where: { state: 'pending', enqueuedAt: LessThan(new Date(Date.now() - CHECK_AFTER_MS)) },
      take: 500,
    });
    if (chunks.length === 0) return;
    const jobs = await this.db.getRepository(BatchJobEntity).findBy({ id: In([...new Set(chunks.map((c) => c.jobId))]), state: In(['queued', 'running']) });
    const byId = new Map(jobs.map((j) => [j.id, j]));
    for (const chunk of chunks) {
      const job = byId.get(chunk.jobId);
      if (!job) continue;
      const { state, failedReason } = await this.queues.stateOf(job.id, chunk.chunk, chunk.attempt);
      if (state !== 'unknown' && state !== 'failed' && state !== 'completed') continue; // waiting or running
      // Completed with rows still pending: its runner stopped short (its job was ended, then not); run it again.
      if (state === 'failed' && chunk.attempt + 1 >= MAX_ATTEMPTS) {
        await this.failRemainingRows(job, chunk, failedReason ?? 'chunk failed');
        continue;
      }
      chunk.attempt += 1;
      await this.db.getRepository(BatchChunkEntity).update({ jobId: chunk.jobId, chunk: chunk.chunk }, { attempt: chunk.attempt });
      await this.jobs.enqueue(job, chunk);
      this.logger.warn({ job: job.id, chunk: chunk.chunk, attempt: chunk.attempt, was: state }, 're-enqueued a chunk BullMQ had lost or failed');
    }
  }

  private async failRemainingRows(job: BatchJobEntity, chunk: BatchChunkEntity, reason: string): Promise<void> {
    const rows = await this.jobs.pendingRows(job, chunk.chunk);
    const error = `gave up after ${MAX_ATTEMPTS} attempts: ${reason}`;
    await this.jobs.applyResults(
      job,
      chunk.chunk,
      rows.map((r) => failedRow(job, r.idx, 500, error)),
    );
  }
}
