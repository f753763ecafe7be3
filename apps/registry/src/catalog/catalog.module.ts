import { Module } from '@nestjs/common';
import { CatalogReader } from './catalog.reader';
import { CatalogRepository } from './catalog.repository';

/**
 * The model's serving state — models, versions, aliases, stages and their transitions,
 * deployments and their revisions — and its lock, in one place. Every other module reads and
 * changes it through CatalogRepository and CatalogReader, never through its tables.
 */
@Module({
  providers: [CatalogRepository, CatalogReader],
  exports: [CatalogRepository, CatalogReader],
})
export class CatalogModule {}
