import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Worker } from 'bullmq';
import { BATCH_RESULTS_QUEUE, BatchChunkResultSchema, bullPrefix } from '@falaj/contracts';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { BatchJobsService } from './batch-jobs.service';
import { BatchQueues } from './batch-queues';

/** Takes the chunks' answers off the results queue and writes them to Postgres, validated. */
@Injectable()
export class BatchResultsConsumer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(BatchResultsConsumer.name);
  private worker?: Worker;

  constructor(
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly queues: BatchQueues,
    private readonly jobs: BatchJobsService,
  ) {}

  onModuleInit(): void {
    this.worker = new Worker(
      BATCH_RESULTS_QUEUE,
      async (job) => {
        const parsed = BatchChunkResultSchema.safeParse(job.data);
        // A malformed message is a bug upstream; failing it keeps it for inspection without a retry loop.
        if (!parsed.success) throw new Error(`malformed chunk result: ${parsed.error.issues[0]?.message}`);
        await this.jobs.applyResults(parsed.data);
      },
      { connection: this.queues.connection, prefix: bullPrefix(this.config.prefix), concurrency: 4 },
    );
    this.worker.on('failed', (job, error) => this.logger.warn({ job: job?.id, error: error.message }, 'chunk result not applied'));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }
}
