import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog';
import { TenantRecordsModule } from '../tenants/tenant-records.module';
import { QuotaMirror } from './quota.mirror';

/** Imported by the models (a deleted model's record leaves the mirror) and the quotas' API. */
@Module({
  imports: [CatalogModule, TenantRecordsModule],
  providers: [QuotaMirror],
  exports: [QuotaMirror],
})
export class QuotaMirrorModule {}
