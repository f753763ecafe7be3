import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BatchChunkEntity } from './batch-chunk.entity';
import { BatchJobEntity } from './batch-job.entity';
import { BatchJobsController } from './batch-jobs.controller';
import { BatchJobsService } from './batch-jobs.service';
import { BatchQueues } from './batch-queues';
import { BatchReconciler } from './batch-reconciler';
import { BatchResultsConsumer } from './batch-results.consumer';
import { BatchRowEntity } from './batch-row.entity';

@Module({
  imports: [TypeOrmModule.forFeature([BatchJobEntity, BatchChunkEntity, BatchRowEntity])],
  controllers: [BatchJobsController],
  providers: [BatchQueues, BatchJobsService, BatchResultsConsumer, BatchReconciler],
})
export class BatchModule {}
