import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ArtifactStore } from '../artifacts/artifact-store';
import { ArtifactsController } from '../artifacts/artifacts.controller';
import { LocalArtifactStore } from '../artifacts/local-artifact-store';
import { ModelsModule } from '../models/models.module';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { ModelVersionEntity } from './model-version.entity';
import { VersionsController } from './versions.controller';
import { VersionsService } from './versions.service';

@Module({
  imports: [TypeOrmModule.forFeature([ModelVersionEntity]), ModelsModule],
  controllers: [VersionsController, ArtifactsController],
  providers: [
    VersionsService,
    {
      provide: ArtifactStore,
      inject: [REGISTRY_CONFIG],
      useFactory: (config: RegistryConfig) => new LocalArtifactStore(config.artifacts.dir),
    },
  ],
})
export class VersionsModule {}
