import { Inject, Injectable, Logger } from '@nestjs/common';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import type { EntityManager } from 'typeorm';
import type { Principal } from '@falaj/auth';
import type { ModelStage } from '@falaj/contracts';
import { InvalidModelError, checkOptimizedLoadInChild, externalDataEscapes, inspectOnnxModelInChild, modelLimitProblems, scanOnnxModel, type OnnxModelScan } from '@falaj/onnx';
import { AliasesService } from '../aliases/aliases.service';
import type { VersionRef } from '../aliases/version-ref';
import { ArtifactStore, ArtifactTooLargeError, type StagedArtifact } from '../artifacts/artifact-store';
import { promotedSpec, referencedVersions, servesAlone } from '../deployments/deployment.policy';
import { CatalogRepository, canTransition, rollbackTarget, type ModelEntity, type ModelVersionEntity, type StageChange } from '../catalog';
import { DeploymentsService } from '../deployments/deployments.service';
import { ModelCommandsPublisher } from '../lifecycle/model-commands.publisher';
import { LifecyclePublisher } from '../lifecycle/lifecycle.publisher';
import { ModelsService } from '../models/models.service';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { SigningService } from '../signing/signing.service';
import type { UploadSource } from './upload-source';
import { VersionLineageSchema, type VersionLineage } from './versions.dto';
import { VersionsError } from './versions.exception';

@Injectable()
export class VersionsService {
  private readonly logger = new Logger(VersionsService.name);

  constructor(
    private readonly catalog: CatalogRepository,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly store: ArtifactStore,
    private readonly models: ModelsService,
    private readonly aliases: AliasesService,
    private readonly deployments: DeploymentsService,
    private readonly lifecycle: LifecyclePublisher,
    private readonly commands: ModelCommandsPublisher,
    private readonly signing: SigningService,
  ) {}

  /**
   * Streams the artifact to the store while hashing it, within the upload limit and what the
   * tenant's storage quota leaves; checks its structure (external data stays in its folder, no
   * entry the scan cannot read) and its declared tensors against the platform's limits; loads it
   * once in onnxruntime — in a bounded child process, optimisation off — to prove it is a model
   * and read its signature, whose declared shapes meet the same limits; and only then records
   * the version. Anything that fails before the record leaves nothing stored. Versions are
   * immutable: nothing changes their bytes or metadata after this.
   */
  async register(principal: Principal, modelName: string, upload: UploadSource): Promise<ModelVersionEntity> {
    const model = await this.models.get(principal, modelName);
    const lineage = parseLineage(upload.lineage);
    const quota = this.config.artifacts.tenantStorageBytes;
    const left = quota - (await this.catalog.storageUsed(model.tenantId));
    if (left <= 0) {
      upload.stream.resume(); // read nothing, so the answer can go out
      throw VersionsError.overStorageQuota(quota);
    }
    const staged = await this.stage(upload.stream, left);
    let created: ModelVersionEntity;
    try {
      if (staged.sizeBytes === 0) throw VersionsError.emptyUpload();
      // Before any parser reads the bytes: a tenant that requires signatures trusts no unsigned file.
      const signed = await this.signing.verifyUpload(principal, model.tenantId, model.name, upload.signature, staged.localPath);
      const scan = await this.scan(staged);
      // onnxruntime names the file it read: a server path that is none of the caller's business.
      const asInvalidModel = (error: unknown): never => {
        if (error instanceof InvalidModelError) {
          throw VersionsError.invalidModel(error.message.replaceAll(staged.localPath, 'the upload').replaceAll(dirname(staged.localPath), "the upload's folder"));
        }
        throw error;
      };
      const inspected = await inspectOnnxModelInChild(staged.localPath, this.config.validation).catch(asInvalidModel);
      const overLimits = modelLimitProblems(inspected.signature, scan, this.config.modelPolicy);
      if (overLimits.length > 0) throw VersionsError.overModelLimits(overLimits);
      upload.checkSignature?.(inspected.signature);
      // Within the declared limits: now what folding would allocate on a worker, bounded here.
      await checkOptimizedLoadInChild(staged.localPath, this.config.validation).catch(asInvalidModel);
      // The model's lock gives concurrent uploads consecutive version numbers.
      created = await this.catalog.changeModel(model.id, async (tx) => {
        // One tenant's uploads in turn past this point, so two cannot both take the quota's last bytes.
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext('falaj:storage:' || $1))`, [model.tenantId]);
        const used = await this.catalog.storageUsed(model.tenantId, staged.sha256, tx);
        if (used + staged.sizeBytes > quota) throw VersionsError.overStorageQuota(quota);
        const saved = await this.catalog.addVersion(
          tx,
          model.id,
          {
            sha256: staged.sha256,
            sizeBytes: staged.sizeBytes,
            signature: inspected.signature,
            opset: inspected.opset ?? null,
            producer: inspected.producer?.slice(0, 200) ?? null,
            parameterCount: scan.parameterCount,
            lineage,
            createdBy: principal.subject,
          },
          { actor: principal.subject, reason: 'registered' },
        );
        await this.signing.record(tx, saved.id, signed);
        return saved;
      });
      await staged.commit();
    } catch (error) {
      await staged.discard();
      throw error;
    }
    this.logger.log({ tenant: model.tenantId, model: model.name, version: created.version, sha256: created.sha256, sizeBytes: created.sizeBytes }, 'version registered');
    await this.lifecycle.publishModelState(model, { type: 'version.registered', version: created.version, stage: created.stage, actor: principal.subject });
    return created;
  }

  async list(principal: Principal, modelName: string): Promise<{ model: ModelEntity; versions: ModelVersionEntity[] }> {
    const model = await this.models.get(principal, modelName);
    return { model, versions: await this.catalog.versions(model.id) };
  }

  async get(principal: Principal, modelName: string, ref: VersionRef): Promise<{ model: ModelEntity; version: ModelVersionEntity }> {
    const model = await this.models.get(principal, modelName);
    return { model, version: await this.find(model, ref) };
  }

  async openArtifact(principal: Principal, modelName: string, ref: VersionRef): Promise<{ version: ModelVersionEntity; stream: Readable }> {
    const { version } = await this.get(principal, modelName, ref);
    const stream = await this.store.open(version.sha256);
    if (!stream) throw new VersionsError(410, `the artifact of version ${version.version} is missing from the store`, 'artifact_missing');
    return { version, stream };
  }

  /**
   * Moves a version to a stage. Into production it serves alone: the deployment, if any, is
   * rewritten to send it all the traffic. Out of production (or into archive) it may not go
   * while the deployment still names it.
   */
  async changeStage(principal: Principal, modelName: string, ref: VersionRef, stage: ModelStage, reason: string): Promise<ModelVersionEntity> {
    const model = await this.models.get(principal, modelName);
    const change: StageChange = { actor: principal.subject, reason };
    const changed = await this.catalog.changeModel(model.id, async (tx) => {
      const target = await this.find(model, ref, tx);
      const deployment = await this.catalog.deployment(model.id, tx);
      // A version already serving part of a split may still be promoted: to take all the traffic.
      const splitMember = stage === 'production' && target.stage === 'production' && deployment !== null && !servesAlone(deployment.spec, target.version);
      if (!splitMember && !canTransition(target.stage, stage)) throw VersionsError.badTransition(target.stage, stage);
      if (stage === 'production') {
        await this.serveAlone(tx, model, target.version, change);
      } else {
        if (deployment && referencedVersions(deployment.spec).includes(target.version)) throw VersionsError.inDeployment(target.version, deployment.revision);
        await this.catalog.setStage(tx, target, stage, change);
      }
      return this.catalog.versionById(target.id, tx);
    });
    this.logger.log({ tenant: model.tenantId, model: model.name, version: changed.version, stage }, 'stage changed');
    await this.lifecycle.publishModelState(model, { type: 'version.stage-changed', version: changed.version, stage, actor: principal.subject });
    // Archived versions never serve: an operator's explicit load of one is dropped too.
    if (stage === 'archived') await this.commands.clear(model, changed.version, principal.subject);
    return changed;
  }

  /** One call: the version that served production before the current one serves it again, alone. */
  async rollback(principal: Principal, modelName: string, reason: string): Promise<{ version: ModelVersionEntity; from: number[] }> {
    const model = await this.models.get(principal, modelName);
    const result = await this.catalog.changeModel(model.id, async (tx) => {
      const stages = await this.catalog.stagesOf(model.id, tx);
      const serving = [...stages].filter(([, s]) => s === 'production').map(([v]) => v);
      const history = await this.catalog.transitions(model.id, {}, tx);
      const target = rollbackTarget(history, new Set(serving), stages);
      if (target === null) throw VersionsError.nothingToRollBackTo(model.name);
      await this.serveAlone(tx, model, target, { actor: principal.subject, reason: reason ? `rollback: ${reason}` : 'rollback' });
      const version = await this.catalog.version(model.id, target, tx);
      if (!version) throw new Error(`version ${target} of ${model.name} vanished under the model's lock`);
      return { version, from: serving };
    });
    this.logger.log({ tenant: model.tenantId, model: model.name, version: result.version.version, from: result.from }, 'rolled back');
    await this.lifecycle.publishModelState(model, { type: 'version.stage-changed', version: result.version.version, stage: 'production', actor: principal.subject });
    return result;
  }

  private async serveAlone(tx: EntityManager, model: ModelEntity, version: number, change: StageChange): Promise<void> {
    const deployment = await this.catalog.deployment(model.id, tx);
    if (deployment) await this.deployments.write(tx, model.id, promotedSpec(deployment.spec, version), { ...change, reason: change.reason || `version ${version} promoted` });
    await this.catalog.serveExactly(tx, model.id, [version], change);
  }

  private async find(model: ModelEntity, ref: VersionRef, tx?: EntityManager): Promise<ModelVersionEntity> {
    const version = await this.aliases.resolve(model, ref, tx);
    const found = await this.catalog.version(model.id, version, tx);
    if (!found) throw VersionsError.notFound(model.name, version);
    return found;
  }

  private async scan(staged: StagedArtifact): Promise<OnnxModelScan> {
    const scan = await scanOnnxModel(staged.localPath).catch((error: unknown) => {
      // Checked before onnxruntime opens anything: a file we cannot walk is not one ORT may load.
      throw VersionsError.invalidModel(`Protobuf parsing failed (${(error as Error).message})`);
    });
    const escaping = scan.externalDataLocations.filter(externalDataEscapes);
    if (escaping.length > 0) throw VersionsError.externalDataEscapes(escaping);
    // The file's own tensors first: refused before any process loads them.
    const overLimits = modelLimitProblems({ inputs: [], outputs: [] }, scan, this.config.modelPolicy);
    if (overLimits.length > 0) throw VersionsError.overModelLimits(overLimits);
    return scan;
  }

  /** Stages the upload within the upload limit and `storageLeft`, whichever is smaller; past it, 413 naming the one crossed. */
  private async stage(source: Readable, storageLeft: number): Promise<StagedArtifact> {
    const { maxUploadBytes, tenantStorageBytes } = this.config.artifacts;
    try {
      return await this.store.stage(source, Math.min(maxUploadBytes, storageLeft));
    } catch (error) {
      if (error instanceof ArtifactTooLargeError) throw storageLeft < maxUploadBytes ? VersionsError.overStorageQuota(tenantStorageBytes) : VersionsError.tooLarge(maxUploadBytes);
      throw error;
    }
  }
}

function parseLineage(raw: string | undefined): VersionLineage {
  if (raw === undefined || raw.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw VersionsError.invalidLineage('not JSON');
  }
  const parsed = VersionLineageSchema.safeParse(json);
  if (!parsed.success) throw VersionsError.invalidLineage(parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
  return parsed.data;
}
