import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ModelEntity } from '../models/model.entity';
import { ModelVersionEntity } from '../versions/model-version.entity';
import { LifecyclePublisher } from './lifecycle.publisher';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([ModelEntity, ModelVersionEntity])],
  providers: [LifecyclePublisher],
  exports: [LifecyclePublisher],
})
export class LifecycleModule {}
