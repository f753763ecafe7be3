import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TenantRecordsModule } from '../tenants/tenant-records.module';
import { RetentionRunEntity } from './retention-run.entity';
import { RetentionController } from './retention.controller';
import { RetentionScheduler } from './retention.scheduler';
import { RetentionService } from './retention.service';
import { TenantRetentionController } from './tenant-retention.controller';

/** Retention of audit rows and job payloads (docs/audit.md#retention). */
@Module({
  imports: [TypeOrmModule.forFeature([RetentionRunEntity]), TenantRecordsModule],
  controllers: [RetentionController, TenantRetentionController],
  providers: [RetentionService, RetentionScheduler],
})
export class RetentionModule {}
