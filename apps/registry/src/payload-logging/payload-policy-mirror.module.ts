import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CatalogModule } from '../catalog';
import { TenantEntity } from '../tenants/tenant.entity';
import { PayloadPolicyMirror } from './payload-policy.mirror';

/** Imported by the tenants and the models, which both write to it. */
@Module({
  imports: [CatalogModule, TypeOrmModule.forFeature([TenantEntity])],
  providers: [PayloadPolicyMirror],
  exports: [PayloadPolicyMirror],
})
export class PayloadPolicyMirrorModule {}
