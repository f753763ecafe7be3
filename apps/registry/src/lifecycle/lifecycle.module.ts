import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeploymentEntity } from '../deployments/deployment.entity';
import { ModelEntity } from '../models/model.entity';
import { TenantEntity } from '../tenants/tenant.entity';
import { ModelVersionEntity } from '../versions/model-version.entity';
import { LifecyclePublisher } from './lifecycle.publisher';
import { ModelCommandsPublisher } from './model-commands.publisher';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([ModelEntity, ModelVersionEntity, DeploymentEntity, TenantEntity])],
  providers: [LifecyclePublisher, ModelCommandsPublisher],
  exports: [LifecyclePublisher, ModelCommandsPublisher],
})
export class LifecycleModule {}
