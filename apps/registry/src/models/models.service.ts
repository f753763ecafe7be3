import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import type { Principal } from '@falaj/auth';
import { LifecyclePublisher } from '../lifecycle/lifecycle.publisher';
import { ModelCommandsPublisher } from '../lifecycle/model-commands.publisher';
import { PayloadPolicyMirror } from '../payload-logging/payload-policy.mirror';
import { QuotaMirror } from '../quotas/quota.mirror';
import type { CreateModelDto, ListModelsQuery, UpdateModelDto } from './models.dto';
import { ModelEntity } from './model.entity';
import { ModelsError } from './models.exception';

/** Every query is scoped to the caller's tenant: another tenant's model is simply not found. */
@Injectable()
export class ModelsService {
  private readonly logger = new Logger(ModelsService.name);

  constructor(
    @InjectRepository(ModelEntity) private readonly models: Repository<ModelEntity>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly lifecycle: LifecyclePublisher,
    private readonly commands: ModelCommandsPublisher,
    private readonly quotas: QuotaMirror,
    private readonly payloadPolicies: PayloadPolicyMirror,
  ) {}

  async create(principal: Principal, dto: CreateModelDto): Promise<ModelEntity> {
    const { tenantId } = principal;
    if (await this.models.existsBy({ tenantId, name: dto.name })) throw ModelsError.exists(dto.name);
    const model = await this.models.save(this.models.create({ tenantId, ...dto, createdBy: principal.subject }));
    if (model.payloadLogging !== null) await this.payloadPolicies.setModel(tenantId, model.name, model.payloadLogging);
    await this.lifecycle.publishModelState(model, { type: 'model.created', version: null, stage: null, actor: principal.subject });
    return model;
  }

  async list(principal: Principal, query: ListModelsQuery): Promise<{ models: ModelEntity[]; total: number }> {
    const q = this.models.createQueryBuilder('m').where('m.tenant_id = :tenantId', { tenantId: principal.tenantId });
    if (query.label && Object.keys(query.label).length > 0) q.andWhere('m.labels @> :labels::jsonb', { labels: JSON.stringify(query.label) });
    if (query.owner !== undefined) q.andWhere('m.owner = :owner', { owner: query.owner });
    if (query.stage) {
      q.andWhere('EXISTS (SELECT 1 FROM model_versions v WHERE v.model_id = m.id AND v.stage = :stage)', { stage: query.stage });
    }
    const [models, total] = await q
      .orderBy('m.name', 'ASC')
      .skip((query.page - 1) * query.limit)
      .take(query.limit)
      .getManyAndCount();
    return { models, total };
  }

  async get(principal: Principal, name: string): Promise<ModelEntity> {
    const model = await this.models.findOneBy({ tenantId: principal.tenantId, name });
    if (!model) throw ModelsError.notFound(name);
    return model;
  }

  async update(principal: Principal, name: string, dto: UpdateModelDto): Promise<ModelEntity> {
    const model = await this.get(principal, name);
    const updated = await this.models.save(Object.assign(model, dto));
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
    const versions = await this.db.transaction(async (tx) => {
      await lockModel(tx, model.id);
      const [production] = await tx.query<{ versions: string | null }[]>(`SELECT string_agg(version::text, ', ' ORDER BY version) AS versions FROM model_versions WHERE model_id = $1 AND stage = 'production'`, [model.id]);
      if (production?.versions) throw ModelsError.serving(name, `version(s) ${production.versions} in production`);
      const deployed = await tx.query<unknown[]>(`SELECT 1 FROM deployments WHERE model_id = $1`, [model.id]);
      if (deployed.length > 0) throw ModelsError.serving(name, 'it has a deployment; delete the deployment first');
      const rows: { version: number }[] = await tx.query(`SELECT version FROM model_versions WHERE model_id = $1`, [model.id]);
      await tx.query(`DELETE FROM rollout_events WHERE rollout_id IN (SELECT id FROM rollouts WHERE model_id = $1)`, [model.id]);
      for (const table of ['rollouts', 'model_aliases', 'stage_transitions', 'deployment_revisions', 'model_versions']) {
        await tx.query(`DELETE FROM ${table} WHERE model_id = $1`, [model.id]);
      }
      await tx.getRepository(ModelEntity).delete({ id: model.id });
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

/**
 * Serializes every change of one model's serving state (stages, deployment, rollback, delete):
 * each takes the model row's lock first, so two concurrent changes never interleave.
 */
export async function lockModel(tx: EntityManager, modelId: string): Promise<void> {
  await tx.getRepository(ModelEntity).createQueryBuilder('m').setLock('pessimistic_write').where({ id: modelId }).getOne();
}
