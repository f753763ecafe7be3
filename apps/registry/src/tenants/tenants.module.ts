import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeyEntity } from '../api-keys/api-key.entity';
import { CatalogModule } from '../catalog';
import { KafkaAccessModule } from '../kafka-access/kafka-access.module';
import { PayloadPolicyMirrorModule } from '../payload-logging/payload-policy-mirror.module';
import { OAuthClientEntity } from '../oauth/oauth-client.entity';
import { AuditPolicyMirror } from './audit-policy.mirror';
import { TenantAuditPolicyController } from './tenant-audit-policy.controller';
import { TenantEntity } from './tenant.entity';
import { TenantsController } from './tenants.controller';
import { TenantsService } from './tenants.service';

@Module({
  imports: [TypeOrmModule.forFeature([TenantEntity, OAuthClientEntity, ApiKeyEntity]), KafkaAccessModule, CatalogModule, PayloadPolicyMirrorModule],
  controllers: [TenantsController, TenantAuditPolicyController],
  providers: [TenantsService, AuditPolicyMirror],
  exports: [TenantsService],
})
export class TenantsModule {}
