import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ModelEntity } from '../models/model.entity';
import { TenantEntity } from '../tenants/tenant.entity';
import { QuotaMirror } from './quota.mirror';

/** Global, as the lifecycle publishers are: deleting a model takes its record out of the mirror too. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([TenantEntity, ModelEntity])],
  providers: [QuotaMirror],
  exports: [QuotaMirror],
})
export class QuotaMirrorModule {}
