import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { ModelQuotaRecord, ModelStage } from '@falaj/contracts';
import { CatalogError } from './catalog.exception';
import type { DeploymentSpec } from './deployment-spec';
import { DeploymentRevisionEntity } from './deployment-revision.entity';
import { DeploymentEntity } from './deployment.entity';
import { ModelAliasEntity } from './model-alias.entity';
import { ModelVersionEntity } from './model-version.entity';
import { ModelEntity } from './model.entity';
import { StageTransitionEntity } from './stage-transition.entity';
import { canTransition, stageOfPreviousProduction } from './stage-transition.policy';

/** Who changes a stage or a deployment and why; every change goes through the catalog so none escapes the record. */
export interface StageChange {
  actor: string;
  reason: string;
}

/** A version's fields as an upload records them; the catalog numbers it and makes it a draft. */
export type NewVersion = Pick<ModelVersionEntity, 'sha256' | 'sizeBytes' | 'signature' | 'opset' | 'producer' | 'parameterCount' | 'lineage' | 'createdBy'>;

/**
 * The catalog: with CatalogReader (listings and mirrors), the only code that touches models,
 * model_versions, model_aliases, stage_transitions, deployments and deployment_revisions, and
 * the owner of the model's lock. Writes take the caller's transaction first; reads take it last,
 * optional (the pool when absent). In the caller's transaction, a caller's own rows (a rollout, a
 * signature) commit or roll back with the catalog's.
 */
@Injectable()
export class CatalogRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** A transaction for work that takes the model's lock itself, after reading what says which model. */
  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** `work` in a transaction that holds the model's lock from its first statement. */
  changeModel<T>(modelId: string, work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await this.lock(tx, modelId);
      return work(tx);
    });
  }

  /**
   * Serializes every change of one model's serving state (stages, deployment, rollback, quota,
   * delete, version numbers): each takes the model row's lock (SELECT … FOR UPDATE) first, so two
   * concurrent changes never interleave. A model deleted meanwhile locks nothing.
   */
  async lock(tx: EntityManager, modelId: string): Promise<void> {
    await tx.getRepository(ModelEntity).createQueryBuilder('m').setLock('pessimistic_write').where({ id: modelId }).getOne();
  }

  // Models

  createModel(fields: Pick<ModelEntity, 'tenantId' | 'name' | 'description' | 'labels' | 'owner' | 'payloadLogging' | 'createdBy'>): Promise<ModelEntity> {
    const repo = this.db.getRepository(ModelEntity);
    return repo.save(repo.create(fields));
  }

  updateModel(model: ModelEntity, changes: Partial<Pick<ModelEntity, 'description' | 'labels' | 'owner' | 'payloadLogging'>>): Promise<ModelEntity> {
    return this.db.getRepository(ModelEntity).save(Object.assign(model, changes));
  }

  modelById(id: string, tx: EntityManager = this.db.manager): Promise<ModelEntity> {
    return tx.getRepository(ModelEntity).findOneByOrFail({ id });
  }

  /** Sets (or, with null, removes) the model's quota record; false when the model is gone. The caller holds the lock. */
  async setModelQuota(tx: EntityManager, modelId: string, quota: ModelQuotaRecord | null): Promise<boolean> {
    const { affected } = await tx.getRepository(ModelEntity).update({ id: modelId }, { quota });
    return Boolean(affected);
  }

  /** Deletes the model; its versions, aliases, transitions, deployment and revisions go with it (ON DELETE CASCADE). */
  async deleteModel(tx: EntityManager, modelId: string): Promise<void> {
    await tx.getRepository(ModelEntity).delete({ id: modelId });
  }

  // Versions

  /** The model's versions, oldest first. */
  versions(modelId: string, tx: EntityManager = this.db.manager): Promise<ModelVersionEntity[]> {
    return tx.getRepository(ModelVersionEntity).find({ where: { modelId }, order: { version: 'ASC' } });
  }

  version(modelId: string, version: number, tx: EntityManager = this.db.manager): Promise<ModelVersionEntity | null> {
    return tx.getRepository(ModelVersionEntity).findOneBy({ modelId, version });
  }

  versionById(id: string, tx: EntityManager = this.db.manager): Promise<ModelVersionEntity> {
    return tx.getRepository(ModelVersionEntity).findOneByOrFail({ id });
  }

  /** Each version's stage, by number. */
  async stagesOf(modelId: string, tx: EntityManager = this.db.manager): Promise<Map<number, ModelStage>> {
    const rows = await tx.getRepository(ModelVersionEntity).find({ where: { modelId }, select: { version: true, stage: true } });
    return new Map(rows.map((r) => [r.version, r.stage]));
  }

  /** The numbers of the versions in production, lowest first. */
  async productionVersions(modelId: string, tx: EntityManager = this.db.manager): Promise<number[]> {
    const rows = await tx.getRepository(ModelVersionEntity).find({ where: { modelId, stage: 'production' }, select: { version: true }, order: { version: 'ASC' } });
    return rows.map((r) => r.version);
  }

  /**
   * Records a version under the next number as a draft, with its first transition. The caller
   * holds the model's lock: concurrent uploads get consecutive numbers.
   */
  async addVersion(tx: EntityManager, modelId: string, fields: NewVersion, change: StageChange): Promise<ModelVersionEntity> {
    const repo = tx.getRepository(ModelVersionEntity);
    const { max } = (await repo.createQueryBuilder('v').select('COALESCE(MAX(v.version), 0)', 'max').where({ modelId }).getRawOne<{ max: number }>()) ?? { max: 0 };
    const saved = await repo.save(repo.create({ ...fields, modelId, version: Number(max) + 1, stage: 'draft', stageChangedAt: null, stageChangedBy: null }));
    await this.recordTransition(tx, modelId, saved.version, null, 'draft', change);
    return saved;
  }

  /** Bytes of the distinct artifacts the tenant's versions hold (a shared artifact counts for each tenant holding it), `except` one hash. */
  async storageUsed(tenantId: string, except?: string, tx: EntityManager = this.db.manager): Promise<number> {
    const [{ used }] = await tx.query<{ used: string }[]>(
      `SELECT COALESCE(sum(size_bytes), 0)::bigint AS used FROM (
         SELECT DISTINCT v.sha256, v.size_bytes FROM model_versions v JOIN models m ON m.id = v.model_id
          WHERE m.tenant_id = $1 AND v.sha256 <> $2) held`,
      [tenantId, except ?? ''],
    );
    return Number(used);
  }

  // Aliases

  alias(modelId: string, alias: string, tx: EntityManager = this.db.manager): Promise<ModelAliasEntity | null> {
    return tx.getRepository(ModelAliasEntity).findOneBy({ modelId, alias });
  }

  /** Creates or moves the alias; the caller has checked the version exists. */
  async setAlias(modelId: string, alias: string, version: number, actor: string): Promise<ModelAliasEntity> {
    const repo = this.db.getRepository(ModelAliasEntity);
    await repo.upsert({ modelId, alias, version, updatedBy: actor }, ['modelId', 'alias']);
    return repo.findOneByOrFail({ modelId, alias });
  }

  /** False when there was no such alias. */
  async deleteAlias(modelId: string, alias: string): Promise<boolean> {
    const { affected } = await this.db.getRepository(ModelAliasEntity).delete({ modelId, alias });
    return Boolean(affected);
  }

  // Stages

  /** Moves a version to a stage the policy allows it to reach, and records the transition. */
  async setStage(tx: EntityManager, version: ModelVersionEntity, to: ModelStage, change: StageChange): Promise<ModelVersionEntity> {
    const from = version.stage;
    if (!canTransition(from, to)) throw CatalogError.badTransition(from, to);
    Object.assign(version, { stage: to, stageChangedAt: new Date(), stageChangedBy: change.actor });
    const saved = await tx.getRepository(ModelVersionEntity).save(version);
    await this.recordTransition(tx, version.modelId, version.version, from, to, change);
    return saved;
  }

  /**
   * Makes `versions` exactly the model's production set: each moves to production (where it is
   * not already), and every other production version steps down to staging, promotable again
   * for a rollback. Callers hold the model's lock and have checked the versions may serve.
   */
  async serveExactly(tx: EntityManager, modelId: string, versions: readonly number[], change: StageChange): Promise<void> {
    const rows = await this.versions(modelId, tx);
    const wanted = new Set(versions);
    for (const row of rows) {
      if (row.stage === 'production' && !wanted.has(row.version)) await this.setStage(tx, row, stageOfPreviousProduction(), change);
    }
    for (const row of rows) {
      if (wanted.has(row.version) && row.stage !== 'production') await this.setStage(tx, row, 'production', change);
    }
  }

  /** The model's transitions, oldest first (of one version, and at most `limit`, when given). */
  transitions(modelId: string, query: { version?: number; limit?: number } = {}, tx: EntityManager = this.db.manager): Promise<StageTransitionEntity[]> {
    return tx.getRepository(StageTransitionEntity).find({
      where: { modelId, ...(query.version ? { version: query.version } : {}) },
      order: { occurredAt: 'ASC' },
      ...(query.limit !== undefined ? { take: query.limit } : {}),
    });
  }

  private async recordTransition(tx: EntityManager, modelId: string, version: number, from: ModelStage | null, to: ModelStage, change: StageChange): Promise<void> {
    await tx.getRepository(StageTransitionEntity).insert({ modelId, version, fromStage: from, toStage: to, actor: change.actor, reason: change.reason });
  }

  // Deployments

  deployment(modelId: string, tx: EntityManager = this.db.manager): Promise<DeploymentEntity | null> {
    return tx.getRepository(DeploymentEntity).findOneBy({ modelId });
  }

  revision(modelId: string, revision: number, tx: EntityManager = this.db.manager): Promise<DeploymentRevisionEntity | null> {
    return tx.getRepository(DeploymentRevisionEntity).findOneBy({ modelId, revision });
  }

  /**
   * Writes the next revision, numbered from 1 (a null spec removes the deployment, and is a
   * revision too), and makes it the current deployment. The caller holds the model's lock.
   */
  async writeRevision(tx: EntityManager, modelId: string, spec: DeploymentSpec | null, change: StageChange): Promise<DeploymentEntity> {
    const [{ max }] = await tx.query<{ max: number }[]>(`SELECT COALESCE(MAX(revision), 0)::int AS max FROM deployment_revisions WHERE model_id = $1`, [modelId]);
    const revision = Number(max) + 1;
    await tx.getRepository(DeploymentRevisionEntity).insert({ modelId, revision, spec, actor: change.actor, reason: change.reason });
    const repo = tx.getRepository(DeploymentEntity);
    if (spec === null) {
      await repo.delete({ modelId });
      return repo.create({ modelId, revision, spec: undefined, updatedBy: change.actor });
    }
    await repo.upsert({ modelId, revision, spec, updatedBy: change.actor }, ['modelId']);
    return repo.findOneByOrFail({ modelId });
  }
}
