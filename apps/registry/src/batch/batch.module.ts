import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { BatchChunkEntity } from './batch-chunk.entity';
import { BatchJobEntity } from './batch-job.entity';
import { BatchJobsController } from './batch-jobs.controller';
import { BatchJobsService } from './batch-jobs.service';
import { BatchQueues } from './batch-queues';
import { BatchReconciler } from './batch-reconciler';
import { BatchRunner } from './batch-runner';
import { JobInference } from './job-inference';
import { BatchRowEntity } from './batch-row.entity';

@Module({
  imports: [TypeOrmModule.forFeature([BatchJobEntity, BatchChunkEntity, BatchRowEntity]), AuditModule],
  controllers: [BatchJobsController],
  providers: [BatchQueues, JobInference, BatchJobsService, BatchRunner, BatchReconciler],
  // The queue's depth is reported by the registry's metrics.
  exports: [BatchQueues],
})
export class BatchModule {}
