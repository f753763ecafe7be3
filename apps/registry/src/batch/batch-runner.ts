import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { BATCH_RUNS_QUEUE, BatchRunSchema, bullPrefix } from '@falaj/contracts';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import type { BatchJobEntity } from './batch-job.entity';
import { BatchJobsService } from './batch-jobs.service';
import { BatchQueues } from './batch-queues';
import type { RowRetry } from './batch-row-retry.policy';
import { JobInference } from './job-inference';
import type { RowAnswer } from './job-row';

/** A pass over rows whose pools stay not ready (or silent) this long gives the chunk back to BullMQ (retried with backoff). */
const NOT_READY_BUDGET_MS = 30_000;

type PendingRow = { idx: number; input: object | null };
type Waiting = Extract<RowRetry, { retry: true }>;

/**
 * Runs batch-job chunks off the queue (any registry instance; a chunk whose runner dies is
 * handed to another after FALAJ_BATCH_LOCK_MS). Each pass dispatches the chunk's pending rows,
 * FALAJ_BATCH_ROWS_IN_FLIGHT at a time, through JobInference, stores the answers (and their audit
 * rows) and runs the others again: rows over the tenant's quota after its Retry-After (the job
 * says why it waits meanwhile), rows no worker could take after a short wait.
 */
@Injectable()
export class BatchRunner implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(BatchRunner.name);
  private worker?: Worker;

  constructor(
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly queues: BatchQueues,
    private readonly jobs: BatchJobsService,
    private readonly inference: JobInference,
  ) {}

  onModuleInit(): void {
    const { concurrency, lockMs } = this.config.batch;
    this.worker = new Worker(BATCH_RUNS_QUEUE, (job) => this.process(job), {
      connection: this.queues.connection,
      prefix: bullPrefix(this.config.prefix),
      concurrency,
      lockDuration: lockMs,
      stalledInterval: Math.max(1000, Math.floor(lockMs / 2)),
    });
    this.worker.on('failed', (job, error) => this.logger.warn({ job: job?.id, error: error.message }, 'batch chunk attempt failed'));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }

  private async process(job: Job): Promise<void> {
    const parsed = BatchRunSchema.safeParse(job.data);
    // Not the registry's own message: nothing to retry.
    if (!parsed.success) throw new UnrecoverableError(`malformed chunk: ${parsed.error.issues[0]?.message}`);
    await this.runChunk(parsed.data.jobId, parsed.data.chunk);
  }

  async runChunk(jobId: string, chunk: number): Promise<void> {
    let job = await this.jobs.openJob(jobId);
    if (!job) return;
    let rows = await this.jobs.pendingRows(job, chunk);
    if (rows.length === 0) return this.jobs.settleChunk(job, chunk);
    let notReadySince: number | undefined;
    while (rows.length > 0) {
      const { answered, again, waiting } = await this.pass(job, rows);
      if (!(await this.jobs.applyResults(job, chunk, answered))) return;
      if (again.length === 0 || waiting === undefined) break;
      if (waiting.kind === 'not-ready') {
        notReadySince ??= Date.now();
        // Given back: BullMQ (then the reconciler) runs it again later, and gives up after its attempts.
        if (Date.now() - notReadySince > NOT_READY_BUDGET_MS) throw new Error(`rows still not served after ${NOT_READY_BUDGET_MS} ms: ${waiting.reason}`);
      } else notReadySince = undefined;
      await this.jobs.setWaiting(jobId, waiting.reason);
      await new Promise((resolve) => setTimeout(resolve, waiting.waitMs));
      job = await this.jobs.openJob(jobId);
      if (!job) return; // cancelled meanwhile
      rows = again;
    }
    await this.jobs.setWaiting(jobId, null);
  }

  /**
   * One pass over the rows, a bounded number in flight. Once one row is over the quota, the rows
   * not started yet are not tried in this pass: they would only be refused too.
   */
  private async pass(job: BatchJobEntity, rows: PendingRow[]): Promise<{ answered: RowAnswer[]; again: PendingRow[]; waiting?: Waiting }> {
    const answered: RowAnswer[] = [];
    const again: PendingRow[] = [];
    let waiting: Waiting | undefined;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < rows.length) {
        const row = rows[next++];
        if (waiting?.kind === 'quota') {
          again.push(row);
          continue;
        }
        const attempt = await this.inference.runRow(job, row.idx, row.input);
        if ('answer' in attempt) answered.push(attempt.answer);
        else {
          again.push(row);
          if (waiting === undefined || attempt.retry.kind === 'quota' || attempt.retry.waitMs > waiting.waitMs) waiting = attempt.retry;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.config.batch.rowsInFlight, rows.length) }, lane));
    again.sort((a, b) => a.idx - b.idx);
    return { answered, again, waiting };
  }
}
