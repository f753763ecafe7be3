import { Injectable, Logger } from '@nestjs/common';
import type { Principal } from '@falaj/auth';
import { CatalogReader, CatalogRepository, type ModelEntity } from '../catalog';
import { LifecyclePublisher } from '../lifecycle/lifecycle.publisher';
import { ModelCommandsPublisher } from '../lifecycle/model-commands.publisher';
import { PayloadPolicyMirror } from '../payload-logging/payload-policy.mirror';
import { QuotaMirror } from '../quotas/quota.mirror';
import type { CreateModelDto, ListModelsQuery, UpdateModelDto } from './models.dto';
import { ModelsError } from './models.exception';

/** Every query is scoped to the caller's tenant: another tenant's model is simply not found. */
@Injectable()
export class ModelsService {
  private readonly logger = new Logger(ModelsService.name);

  constructor(
    private readonly catalog: CatalogRepository,
    private readonly reader: CatalogReader,
    private readonly lifecycle: LifecyclePublisher,
    private readonly commands: ModelCommandsPublisher,
    private readonly quotas: QuotaMirror,
    private readonly payloadPolicies: PayloadPolicyMirror,
  ) {}

  async create(principal: Principal, dto: CreateModelDto): Promise<ModelEntity> {
    const { tenantId } = principal;
    if (await this.reader.modelExists(tenantId, dto.name)) throw ModelsError.exists(dto.name);
    const model = await this.catalog.createModel({ tenantId, ...dto, createdBy: principal.subject });
    if (model.payloadLogging !== null) await this.payloadPolicies.setModel(tenantId, model.name, model.payloadLogging);
    await this.lifecycle.publishModelState(model, { type: 'model.created', version: null, stage: null, actor: principal.subject });
    return model;
  }

  async list(principal: Principal, query: ListModelsQuery): Promise<{ models: ModelEntity[]; total: number }> {
    const { label, owner, stage, page, limit } = query;
    return this.reader.models(principal.tenantId, { labels: label, owner, stage, page, limit });
  }

  async get(principal: Principal, name: string): Promise<ModelEntity> {
    const model = await this.reader.model(principal.tenantId, name);
    if (!model) throw ModelsError.notFound(name);
    return model;
  }

  async update(principal: Principal, name: string, dto: UpdateModelDto): Promise<ModelEntity> {
    const model = await this.get(principal, name);
    const updated = await this.catalog.updateModel(model, dto);
    if (dto.payloadLogging !== undefined) await this.payloadPolicies.setModel(model.tenantId, model.name, dto.payloadLogging);
    this.logger.log({ tenant: model.tenantId, model: model.name, fields: Object.keys(dto) }, 'model updated');
    return updated;
  }

  /**
   * Deletes a model with its versions, aliases, history and deployment revisions — refused while
   * any version is in production or a deployment references one. Artifacts stay in the store
   * until ArtifactCollector finds no version of any tenant holding them (they are content-addressed and shared).
   */
  async delete(principal: Principal, name: string): Promise<void> {
    const model = await this.get(principal, name);
    const versions = await this.catalog.changeModel(model.id, async (tx) => {
      const production = await this.catalog.productionVersions(model.id, tx);
      if (production.length > 0) throw ModelsError.serving(name, `version(s) ${production.join(', ')} in production`);
      if (await this.catalog.deployment(model.id, tx)) throw ModelsError.serving(name, 'it has a deployment; delete the deployment first');
      const rows = await this.catalog.versions(model.id, tx);
      // Rollouts hold no foreign key to their model: their rows go here, in the same transaction.
      await tx.query(`DELETE FROM rollout_events WHERE rollout_id IN (SELECT id FROM rollouts WHERE model_id = $1)`, [model.id]);
      await tx.query(`DELETE FROM rollouts WHERE model_id = $1`, [model.id]);
      await this.catalog.deleteModel(tx, model.id);
      return rows.map((r) => r.version);
    });
    this.logger.log({ tenant: model.tenantId, model: model.name, versions: versions.length }, 'model deleted');
    await this.lifecycle.publishModelState(model, { type: 'model.deleted', version: null, stage: null, actor: principal.subject });
    // The commands topic keeps each version's last override: clear them, or a worker replaying it
    // later would load a version of a model that no longer exists (or of a namesake created since).
    for (const version of versions) await this.commands.clear(model, version, principal.subject);
    // Its quota record went with the row; a namesake created later must not inherit the mirror's.
    await this.quotas.removeModel(model.tenantId, model.name);
    await this.payloadPolicies.setModel(model.tenantId, model.name, null);
  }
}

