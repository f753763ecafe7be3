import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeyEntity } from '../api-keys/api-key.entity';
import { KafkaAccessModule } from '../kafka-access/kafka-access.module';
import { ModelEntity } from '../models/model.entity';
import { OAuthClientEntity } from '../oauth/oauth-client.entity';
import { AuditPolicyMirror } from './audit-policy.mirror';
import { TenantAuditPolicyController } from './tenant-audit-policy.controller';
import { TenantEntity } from './tenant.entity';
import { TenantsController } from './tenants.controller';
import { TenantsService } from './tenants.service';

@Module({
  imports: [TypeOrmModule.forFeature([TenantEntity, OAuthClientEntity, ApiKeyEntity, ModelEntity]), KafkaAccessModule],
  controllers: [TenantsController, TenantAuditPolicyController],
  providers: [TenantsService, AuditPolicyMirror],
  exports: [TenantsService],
})
export class TenantsModule {}
