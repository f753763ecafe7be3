import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { ModelEntity } from '../models/model.entity';
import { ModelVersionEntity } from '../versions/model-version.entity';
import { VersionsError } from '../versions/versions.exception';
import { AliasesError } from './aliases.exception';
import { ModelAliasEntity } from './model-alias.entity';
import type { VersionRef } from './version-ref';

/** Aliases (`champion`, `challenger`) name versions; every admin route that takes a version takes one. */
@Injectable()
export class AliasesService {
  private readonly logger = new Logger(AliasesService.name);

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The version number a ref names; 404 for an unknown alias (the version itself is checked by the caller). */
  async resolve(model: ModelEntity, ref: VersionRef, tx: EntityManager = this.db.manager): Promise<number> {
    if ('version' in ref) return ref.version;
    const found = await tx.getRepository(ModelAliasEntity).findOneBy({ modelId: model.id, alias: ref.alias });
    if (!found) throw AliasesError.notFound(model.name, ref.alias);
    return found.version;
  }

  async set(model: ModelEntity, alias: string, ref: VersionRef, actor: string): Promise<ModelAliasEntity> {
    const version = await this.resolve(model, ref);
    if (!(await this.db.getRepository(ModelVersionEntity).existsBy({ modelId: model.id, version }))) {
      throw VersionsError.notFound(model.name, version);
    }
    const repo = this.db.getRepository(ModelAliasEntity);
    await repo.upsert({ modelId: model.id, alias, version, updatedBy: actor }, ['modelId', 'alias']);
    this.logger.log({ tenant: model.tenantId, model: model.name, alias, version }, 'alias set');
    return repo.findOneByOrFail({ modelId: model.id, alias });
  }

  async delete(model: ModelEntity, alias: string): Promise<void> {
    const { affected } = await this.db.getRepository(ModelAliasEntity).delete({ modelId: model.id, alias });
    if (!affected) throw AliasesError.notFound(model.name, alias);
  }

  list(model: ModelEntity): Promise<ModelAliasEntity[]> {
    return this.db.getRepository(ModelAliasEntity).find({ where: { modelId: model.id }, order: { alias: 'ASC' } });
  }

  /** Aliases per version, for version views. */
  async byVersion(model: ModelEntity): Promise<Map<number, string[]>> {
    const map = new Map<number, string[]>();
    for (const a of await this.list(model)) map.set(a.version, [...(map.get(a.version) ?? []), a.alias]);
    return map;
  }
}
