import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ModelEntity } from '../models/model.entity';
import { TenantEntity } from '../tenants/tenant.entity';
import { PayloadPolicyMirror } from './payload-policy.mirror';

/** Global, as the quota mirror is: tenants and models both write to it. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([TenantEntity, ModelEntity])],
  providers: [PayloadPolicyMirror],
  exports: [PayloadPolicyMirror],
})
export class PayloadPolicyMirrorModule {}
