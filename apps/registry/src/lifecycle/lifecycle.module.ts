import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CatalogModule } from '../catalog';
import { TenantEntity } from '../tenants/tenant.entity';
import { LifecyclePublisher } from './lifecycle.publisher';
import { ModelCommandsPublisher } from './model-commands.publisher';

@Module({
  imports: [CatalogModule, TypeOrmModule.forFeature([TenantEntity])],
  providers: [LifecyclePublisher, ModelCommandsPublisher],
  exports: [LifecyclePublisher, ModelCommandsPublisher],
})
export class LifecycleModule {}
