import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsNull, Not, type DataSource } from 'typeorm';
import type { ModelStage, PayloadLogging } from '@falaj/contracts';
import { DeploymentRevisionEntity } from './deployment-revision.entity';
import { ModelAliasEntity } from './model-alias.entity';
import { ModelVersionEntity } from './model-version.entity';
import { ModelEntity } from './model.entity';

export interface ModelFilter {
  labels?: Record<string, string>;
  owner?: string;
  /** Models with a version in this stage. */
  stage?: ModelStage;
  page: number;
  limit: number;
}

/** The catalog's listings and the reads the mirrors, the lifecycle and the workers' endpoints make; never under the model's lock. */
@Injectable()
export class CatalogReader {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** A model by its name within a tenant: another tenant's model is simply not there. */
  model(tenantId: string, name: string): Promise<ModelEntity | null> {
    return this.db.getRepository(ModelEntity).findOneBy({ tenantId, name });
  }

  modelExists(tenantId: string, name: string): Promise<boolean> {
    return this.db.getRepository(ModelEntity).existsBy({ tenantId, name });
  }

  async models(tenantId: string, filter: ModelFilter): Promise<{ models: ModelEntity[]; total: number }> {
    const q = this.db.getRepository(ModelEntity).createQueryBuilder('m').where('m.tenant_id = :tenantId', { tenantId });
    if (filter.labels && Object.keys(filter.labels).length > 0) q.andWhere('m.labels @> :labels::jsonb', { labels: JSON.stringify(filter.labels) });
    if (filter.owner !== undefined) q.andWhere('m.owner = :owner', { owner: filter.owner });
    if (filter.stage) {
      q.andWhere('EXISTS (SELECT 1 FROM model_versions v WHERE v.model_id = m.id AND v.stage = :stage)', { stage: filter.stage });
    }
    const [models, total] = await q
      .orderBy('m.name', 'ASC')
      .skip((filter.page - 1) * filter.limit)
      .take(filter.limit)
      .getManyAndCount();
    return { models, total };
  }

  /** Every model of every tenant (the lifecycle's resync at boot). */
  allModels(): Promise<ModelEntity[]> {
    return this.db.getRepository(ModelEntity).find();
  }

  countModels(tenantId: string): Promise<number> {
    return this.db.getRepository(ModelEntity).countBy({ tenantId });
  }

  /** Models with a quota record of their own (the quota mirror). */
  modelsWithQuota(): Promise<ModelEntity[]> {
    return this.db.getRepository(ModelEntity).find({ where: { quota: Not(IsNull()) } });
  }

  countModelsWithQuota(): Promise<number> {
    return this.db.getRepository(ModelEntity).count({ where: { quota: Not(IsNull()) } });
  }

  /** Models with a payload-logging policy of their own (the payload-policy mirror). */
  async modelPayloadPolicies(): Promise<{ tenantId: string; name: string; payloadLogging: PayloadLogging }[]> {
    const rows = await this.db.getRepository(ModelEntity).find({ where: { payloadLogging: Not(IsNull()) }, select: { tenantId: true, name: true, payloadLogging: true } });
    return rows.map((m) => ({ tenantId: m.tenantId, name: m.name, payloadLogging: m.payloadLogging! }));
  }

  /** The highest-numbered production version, if any. */
  latestProduction(modelId: string): Promise<ModelVersionEntity | null> {
    return this.db.getRepository(ModelVersionEntity).findOne({ where: { modelId, stage: 'production' }, order: { version: 'DESC' } });
  }

  versionExists(modelId: string, version: number): Promise<boolean> {
    return this.db.getRepository(ModelVersionEntity).existsBy({ modelId, version });
  }

  /** The id of a tenant's model's version, by name and number (the workers' signature endpoint); null when none. */
  async versionId(tenantId: string, model: string, version: number): Promise<string | null> {
    const row = await this.db
      .getRepository(ModelVersionEntity)
      .createQueryBuilder('v')
      .select('v.id', 'id')
      .innerJoin(ModelEntity, 'm', 'm.id = v.model_id')
      .where('m.tenant_id = :tenantId AND m.name = :model AND v.version = :version', { tenantId, model, version })
      .getRawOne<{ id: string }>();
    return row?.id ?? null;
  }

  /** Whether any version of any tenant holds the artifact (content-addressed and shared). */
  async artifactReferenced(sha256: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM model_versions WHERE sha256 = $1 LIMIT 1`, [sha256]);
    return rows.length > 0;
  }

  /** The model's aliases, by name. */
  aliases(modelId: string): Promise<ModelAliasEntity[]> {
    return this.db.getRepository(ModelAliasEntity).find({ where: { modelId }, order: { alias: 'ASC' } });
  }

  /** Every revision of the model's deployment, oldest first. */
  revisions(modelId: string): Promise<DeploymentRevisionEntity[]> {
    return this.db.getRepository(DeploymentRevisionEntity).find({ where: { modelId }, order: { revision: 'ASC' } });
  }
}
