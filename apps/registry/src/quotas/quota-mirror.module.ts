import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CatalogModule } from '../catalog';
import { TenantEntity } from '../tenants/tenant.entity';
import { QuotaMirror } from './quota.mirror';

/** Imported by the models (a deleted model's record leaves the mirror) and the quotas' API. */
@Module({
  imports: [CatalogModule, TypeOrmModule.forFeature([TenantEntity])],
  providers: [QuotaMirror],
  exports: [QuotaMirror],
})
export class QuotaMirrorModule {}
