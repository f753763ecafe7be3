import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog';
import { LifecycleModule } from '../lifecycle/lifecycle.module';
import { PayloadPolicyMirrorModule } from '../payload-logging/payload-policy-mirror.module';
import { QuotaMirrorModule } from '../quotas/quota-mirror.module';
import { ModelsController } from './models.controller';
import { ModelsService } from './models.service';

@Module({
  imports: [CatalogModule, LifecycleModule, QuotaMirrorModule, PayloadPolicyMirrorModule],
  controllers: [ModelsController],
  providers: [ModelsService],
  exports: [ModelsService],
})
export class ModelsModule {}
