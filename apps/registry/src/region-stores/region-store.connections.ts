import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { databaseConnection, type DatabaseSettings } from '../database/database-connection';
import { dataSourceOptions } from '../database/data-source.options';
import { ensureDatabase } from '../database/ensure-database';
import type { RegionStores } from './region-stores.config';
import { groupByStore, regionsWithStores, storeFor } from './region-store.selection';

/** One database that holds regional rows, and the regions whose rows it holds (`*`: every region, no map). */
export interface RegionStore {
  /** `catalog`, or the database's name: what reports and logs call it. */
  name: string;
  db: DataSource;
  regions: readonly string[];
}

/**
 * The registry's connections to its regions' stores (docs/audit.md#regional-audit-stores-each-regions-audit-in-its-own-database): the
 * catalog's own DataSource, and one more per region whose store is another database. Audit
 * rows, payload records and job rows of a region are read and written only through
 * `forRegion`; the catalog (models, tenants, jobs' records, chunks) stays the catalog's.
 *
 * A store is created when missing and migrated with the registry's one migration chain, so its
 * audit_log, payload_log and batch_rows have the catalog's exact shape by construction; the
 * catalog's tables exist there too and stay empty (nothing writes them outside the catalog).
 */
export class RegionStoreConnections {
  private readonly logger = new Logger(RegionStoreConnections.name);
  private readonly byUrl = new Map<string, DataSource>();

  private constructor(
    private readonly catalog: DataSource,
    private readonly stores: RegionStores,
  ) {}

  /** The catalog alone, every region's rows in it (no map): the single-database layout. */
  static catalogOnly(catalog: DataSource): RegionStoreConnections {
    return new RegionStoreConnections(catalog, undefined);
  }

  /** Connects to (and migrates) every store of the map before anything may write to one. */
  static async open(catalog: DataSource, stores: RegionStores, settings: DatabaseSettings): Promise<RegionStoreConnections> {
    const connections = new RegionStoreConnections(catalog, stores);
    for (const target of stores?.values() ?? []) {
      if (target.kind !== 'url' || connections.byUrl.has(target.url)) continue;
      const connection = databaseConnection({ ...settings, url: target.url });
      await ensureDatabase(connection);
      const db = new DataSource(dataSourceOptions(connection));
      await db.initialize();
      connections.byUrl.set(target.url, db);
      connections.logger.log({ database: connection.database, host: connection.host }, 'region store ready');
    }
    return connections;
  }

  /** The store of a region's rows; NoRegionStoreError (503) when the map names none for it. */
  forRegion(region: string): DataSource {
    const target = storeFor(this.stores, region);
    return target.kind === 'catalog' ? this.catalog : this.byUrl.get(target.url)!;
  }

  /** What reports call a store: `catalog`, or its database's name. */
  nameOf(db: DataSource): string {
    return db === this.catalog ? 'catalog' : String(db.options.database);
  }

  /** Items grouped by their region's store, each group with its DataSource (NoRegionStoreError for a region without one). */
  group<T>(items: readonly T[], regionOf: (item: T) => string): { region: string; db: DataSource; items: T[] }[] {
    return groupByStore(this.stores, items, regionOf).map(({ region, items: grouped }) => ({ region, db: this.forRegion(region), items: grouped }));
  }

  /** Whether a region has a store: its calls and jobs are accepted. */
  accepts(region: string): boolean {
    return this.stores === undefined || this.stores.has(region);
  }

  /** The regions that have a store, or null when every region has (no map). */
  acceptedRegions(): string[] | null {
    return regionsWithStores(this.stores);
  }

  /**
   * Every database that may hold regional rows: each store once, and the catalog always (it is a
   * store when a region names it, and it keeps whatever was written before the map was set), so
   * erasure, retention and the audit reader miss nothing.
   */
  all(): RegionStore[] {
    if (this.stores === undefined) return [{ name: 'catalog', db: this.catalog, regions: ['*'] }];
    const regionsOf = new Map<DataSource, string[]>([[this.catalog, []]]);
    for (const region of [...this.stores.keys()].sort()) {
      const db = this.forRegion(region);
      regionsOf.set(db, [...(regionsOf.get(db) ?? []), region]);
    }
    return [...regionsOf].map(([db, regions]) => ({ name: this.nameOf(db), db, regions }));
  }

  /**
   * For `/health/ready`: whether each store answers. Shown, never a reason to be unready: one
   * region's database away holds that region's audit in Kafka (and its jobs' rows) until it is
   * back, and must not take the whole registry out of service.
   */
  async states(): Promise<Record<string, string>> {
    const states: Record<string, string> = {};
    for (const store of this.all()) {
      states[store.name] = await store.db.query('SELECT 1').then(
        () => 'up',
        (error: Error) => `away: ${error.message.slice(0, 200)}`,
      );
    }
    return states;
  }

  async close(): Promise<void> {
    for (const db of this.byUrl.values()) await db.destroy().catch(() => undefined);
  }
}
