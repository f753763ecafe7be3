import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CatalogReader, CatalogRepository, type ModelAliasEntity, type ModelEntity } from '../catalog';
import { VersionsError } from '../versions/versions.exception';
import { AliasesError } from './aliases.exception';
import type { VersionRef } from './version-ref';

/** Aliases (`champion`, `challenger`) name versions; every admin route that takes a version takes one. */
@Injectable()
export class AliasesService {
  private readonly logger = new Logger(AliasesService.name);

  constructor(
    private readonly catalog: CatalogRepository,
    private readonly reader: CatalogReader,
  ) {}

  /** The version number a ref names; 404 for an unknown alias (the version itself is checked by the caller). */
  async resolve(model: ModelEntity, ref: VersionRef, tx?: EntityManager): Promise<number> {
    if ('version' in ref) return ref.version;
    const found = await this.catalog.alias(model.id, ref.alias, tx);
    if (!found) throw AliasesError.notFound(model.name, ref.alias);
    return found.version;
  }

  async set(model: ModelEntity, alias: string, ref: VersionRef, actor: string): Promise<ModelAliasEntity> {
    const version = await this.resolve(model, ref);
    if (!(await this.reader.versionExists(model.id, version))) {
      throw VersionsError.notFound(model.name, version);
    }
    const saved = await this.catalog.setAlias(model.id, alias, version, actor);
    this.logger.log({ tenant: model.tenantId, model: model.name, alias, version }, 'alias set');
    return saved;
  }

  async delete(model: ModelEntity, alias: string): Promise<void> {
    if (!(await this.catalog.deleteAlias(model.id, alias))) throw AliasesError.notFound(model.name, alias);
  }

  list(model: ModelEntity): Promise<ModelAliasEntity[]> {
    return this.reader.aliases(model.id);
  }

  /** Aliases per version, for version views. */
  async byVersion(model: ModelEntity): Promise<Map<number, string[]>> {
    const map = new Map<number, string[]>();
    for (const a of await this.list(model)) map.set(a.version, [...(map.get(a.version) ?? []), a.alias]);
    return map;
  }
}
