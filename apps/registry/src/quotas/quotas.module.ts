import { Module } from '@nestjs/common';
import { ModelsModule } from '../models/models.module';
import { ModelQuotaController } from './model-quota.controller';
import { QuotasService } from './quotas.service';
import { TenantQuotaController } from './tenant-quota.controller';

@Module({
  imports: [ModelsModule],
  controllers: [TenantQuotaController, ModelQuotaController],
  providers: [QuotasService],
})
export class QuotasModule {}
