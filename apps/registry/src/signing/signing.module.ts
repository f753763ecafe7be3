import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CatalogModule } from '../catalog';
import { TenantRecordsModule } from '../tenants/tenant-records.module';
import { ArtifactSignatureEntity } from './artifact-signature.entity';
import { InternalSignaturesController } from './internal-signatures.controller';
import { SigningEventEntity } from './signing-event.entity';
import { SigningService } from './signing.service';
import { TenantSigningController } from './tenant-signing.controller';
import { TrustedKeyEntity } from './trusted-key.entity';

/** Signed artifacts (docs/signed-artifacts.md): versions call SigningService at upload; workers call the internal controller at load. */
@Module({
  imports: [CatalogModule, TenantRecordsModule, TypeOrmModule.forFeature([TrustedKeyEntity, ArtifactSignatureEntity, SigningEventEntity])],
  controllers: [TenantSigningController, InternalSignaturesController],
  providers: [SigningService],
  exports: [SigningService],
})
export class SigningModule {}
