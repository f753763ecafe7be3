import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { CatalogModule } from '../catalog';
import { KafkaAccessModule } from '../kafka-access/kafka-access.module';
import { PayloadPolicyMirrorModule } from '../payload-logging/payload-policy-mirror.module';
import { OAuthModule } from '../oauth/oauth.module';
import { SigningModule } from '../signing/signing.module';
import { AuditPolicyMirror } from './audit-policy.mirror';
import { TenantAuditPolicyController } from './tenant-audit-policy.controller';
import { TenantEntity } from './tenant.entity';
import { TenantsController } from './tenants.controller';
import { TenantRecordsModule } from './tenant-records.module';
import { TenantsService } from './tenants.service';

@Module({
  imports: [TypeOrmModule.forFeature([TenantEntity]), KafkaAccessModule, CatalogModule, PayloadPolicyMirrorModule, ApiKeysModule, OAuthModule, SigningModule, TenantRecordsModule],
  controllers: [TenantsController, TenantAuditPolicyController],
  providers: [TenantsService, AuditPolicyMirror],
  exports: [TenantsService],
})
export class TenantsModule {}
