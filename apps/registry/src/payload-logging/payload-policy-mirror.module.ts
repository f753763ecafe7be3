import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog';
import { TenantRecordsModule } from '../tenants/tenant-records.module';
import { PayloadPolicyMirror } from './payload-policy.mirror';

/** Imported by the tenants and the models, which both write to it. */
@Module({
  imports: [CatalogModule, TenantRecordsModule],
  providers: [PayloadPolicyMirror],
  exports: [PayloadPolicyMirror],
})
export class PayloadPolicyMirrorModule {}
