import { Module } from '@nestjs/common';
import { AliasesModule } from '../aliases/aliases.module';
import { ArtifactCollector } from '../artifacts/artifact-collector';
import { ArtifactStore } from '../artifacts/artifact-store';
import { ArtifactsController } from '../artifacts/artifacts.controller';
import { LocalArtifactStore } from '../artifacts/local-artifact-store';
import { CatalogModule } from '../catalog';
import { DeploymentsModule } from '../deployments/deployments.module';
import { LifecycleModule } from '../lifecycle/lifecycle.module';
import { ModelsModule } from '../models/models.module';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { SigningModule } from '../signing/signing.module';
import { VersionsController } from './versions.controller';
import { VersionsService } from './versions.service';

@Module({
  imports: [CatalogModule, LifecycleModule, ModelsModule, AliasesModule, DeploymentsModule, SigningModule],
  controllers: [VersionsController, ArtifactsController],
  providers: [
    VersionsService,
    ArtifactCollector,
    {
      provide: ArtifactStore,
      inject: [REGISTRY_CONFIG],
      useFactory: (config: RegistryConfig) => new LocalArtifactStore(config.artifacts.dir),
    },
  ],
  exports: [VersionsService],
})
export class VersionsModule {}
