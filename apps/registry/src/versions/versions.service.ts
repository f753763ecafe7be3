import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import type { DataSource, Repository } from 'typeorm';
import type { Principal } from '@falaj/auth';
import type { ModelStage } from '@falaj/contracts';
import { InvalidModelError, inspectOnnxModel } from '@falaj/onnx';
import { ArtifactStore, ArtifactTooLargeError, type StagedArtifact } from '../artifacts/artifact-store';
import { LifecyclePublisher } from '../lifecycle/lifecycle.publisher';
import { ModelEntity } from '../models/model.entity';
import { ModelsService } from '../models/models.service';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { ModelVersionEntity } from './model-version.entity';
import { canTransition, stageOfPreviousProduction } from './stage-transition.policy';
import { VersionsError } from './versions.exception';

@Injectable()
export class VersionsService {
  private readonly logger = new Logger(VersionsService.name);

  constructor(
    @InjectRepository(ModelVersionEntity) private readonly versions: Repository<ModelVersionEntity>,
    @InjectDataSource() private readonly db: DataSource,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly store: ArtifactStore,
    private readonly models: ModelsService,
    private readonly lifecycle: LifecyclePublisher,
  ) {}

  /**
   * Streams the artifact to the store while hashing it, loads it once in onnxruntime to prove it
   * is a model and read its signature, and only then records the version. Anything that fails
   * before the record leaves nothing stored.
   */
  async register(principal: Principal, modelName: string, source: Readable): Promise<ModelVersionEntity> {
    const model = await this.models.get(principal, modelName);
    const staged = await this.stage(source);
    let created: ModelVersionEntity;
    try {
      if (staged.sizeBytes === 0) throw VersionsError.emptyUpload();
      const inspected = await inspectOnnxModel(staged.localPath).catch((error: unknown) => {
        // onnxruntime names the file it read: a server path that is none of the caller's business.
        if (error instanceof InvalidModelError) throw VersionsError.invalidModel(error.message.replaceAll(staged.localPath, 'the upload'));
        throw error;
      });
      created = await this.db.transaction(async (tx) => {
        // Lock the model row so concurrent uploads get consecutive version numbers.
        await tx.getRepository(ModelEntity).createQueryBuilder('m').setLock('pessimistic_write').where({ id: model.id }).getOne();
        const { max } = (await tx
          .getRepository(ModelVersionEntity)
          .createQueryBuilder('v')
          .select('COALESCE(MAX(v.version), 0)', 'max')
          .where({ modelId: model.id })
          .getRawOne<{ max: number }>()) ?? { max: 0 };
        return tx.getRepository(ModelVersionEntity).save(
          tx.getRepository(ModelVersionEntity).create({
            modelId: model.id,
            version: Number(max) + 1,
            stage: 'draft',
            sha256: staged.sha256,
            sizeBytes: staged.sizeBytes,
            signature: inspected.signature,
            createdBy: principal.subject,
            stageChangedAt: null,
            stageChangedBy: null,
          }),
        );
      });
      await staged.commit();
    } catch (error) {
      await staged.discard();
      throw error;
    }
    this.logger.log({ tenant: model.tenantId, model: model.name, version: created.version, sha256: created.sha256 }, 'version registered');
    await this.lifecycle.publishModelState(model, {
      type: 'version.registered',
      version: created.version,
      stage: created.stage,
      actor: principal.subject,
    });
    return created;
  }

  async list(principal: Principal, modelName: string): Promise<ModelVersionEntity[]> {
    const model = await this.models.get(principal, modelName);
    return this.versions.find({ where: { modelId: model.id }, order: { version: 'ASC' } });
  }

  async get(principal: Principal, modelName: string, version: number): Promise<ModelVersionEntity> {
    const model = await this.models.get(principal, modelName);
    const found = await this.versions.findOneBy({ modelId: model.id, version });
    if (!found) throw VersionsError.notFound(modelName, version);
    return found;
  }

  async changeStage(principal: Principal, modelName: string, version: number, stage: ModelStage): Promise<ModelVersionEntity> {
    const model = await this.models.get(principal, modelName);
    const changed = await this.db.transaction(async (tx) => {
      const repo = tx.getRepository(ModelVersionEntity);
      const target = await repo.createQueryBuilder('v').setLock('pessimistic_write').where({ modelId: model.id, version }).getOne();
      if (!target) throw VersionsError.notFound(modelName, version);
      if (!canTransition(target.stage, stage)) throw VersionsError.badTransition(target.stage, stage);
      const now = new Date();
      if (stage === 'production') {
        await repo.update(
          { modelId: model.id, stage: 'production' },
          { stage: stageOfPreviousProduction(), stageChangedAt: now, stageChangedBy: principal.subject },
        );
      }
      Object.assign(target, { stage, stageChangedAt: now, stageChangedBy: principal.subject });
      return repo.save(target);
    });
    await this.lifecycle.publishModelState(model, { type: 'version.stage-changed', version, stage, actor: principal.subject });
    return changed;
  }

  private async stage(source: Readable): Promise<StagedArtifact> {
    try {
      return await this.store.stage(source, this.config.artifacts.maxUploadBytes);
    } catch (error) {
      if (error instanceof ArtifactTooLargeError) throw VersionsError.tooLarge(error.maxBytes);
      throw error;
    }
  }
}
