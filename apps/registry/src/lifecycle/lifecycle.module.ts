import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog';
import { TenantRecordsModule } from '../tenants/tenant-records.module';
import { LifecyclePublisher } from './lifecycle.publisher';
import { ModelCommandsPublisher } from './model-commands.publisher';

@Module({
  imports: [CatalogModule, TenantRecordsModule],
  providers: [LifecyclePublisher, ModelCommandsPublisher],
  exports: [LifecyclePublisher, ModelCommandsPublisher],
})
export class LifecycleModule {}
