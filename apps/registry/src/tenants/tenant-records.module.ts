import { Module } from '@nestjs/common';
import { TenantRecords } from './tenant-records';

/** The tenants' rows for other modules (TenantRecords); imports nothing, so any module may import it. */
@Module({
  providers: [TenantRecords],
  exports: [TenantRecords],
})
export class TenantRecordsModule {}
