import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog';
import { ModelsModule } from '../models/models.module';
import { TenantRecordsModule } from '../tenants/tenant-records.module';
import { ModelQuotaController } from './model-quota.controller';
import { QuotaMirrorModule } from './quota-mirror.module';
import { QuotasService } from './quotas.service';
import { TenantQuotaController } from './tenant-quota.controller';

@Module({
  imports: [CatalogModule, ModelsModule, QuotaMirrorModule, TenantRecordsModule],
  controllers: [TenantQuotaController, ModelQuotaController],
  providers: [QuotasService],
})
export class QuotasModule {}
