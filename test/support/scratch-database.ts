import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { dataSourceOptions } from '../../apps/registry/src/database/data-source.options';
import { databaseConnection, type DatabaseConnection } from '../../apps/registry/src/database/database-connection';
import { ensureDatabase } from '../../apps/registry/src/database/ensure-database';

const SERVER = process.env.FALAJ_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

/**
 * A registry database of one spec's own on the machine's Postgres, migrated as the registry
 * migrates at boot, and dropped after. The operator's superuser over trust auth: what such a
 * spec tests is the schema, not the role.
 */
export class ScratchDatabase {
  readonly name: string;
  readonly url: string;
  readonly connection: DatabaseConnection;

  constructor(label: string) {
    this.name = `falaj_${label}_${randomBytes(4).toString('hex')}`;
    this.url = `${SERVER}/${this.name}`;
    this.connection = databaseConnection({ url: this.url, sslMode: 'disable' });
  }

  /** A DataSource on it (created if missing), its migrations run; `options` override the registry's (say, fewer migrations). */
  async open(options: Partial<DataSourceOptions> = {}): Promise<DataSource> {
    await ensureDatabase(this.connection);
    const db = new DataSource({ ...dataSourceOptions(this.connection), logging: false, ...options } as DataSourceOptions);
    return db.initialize();
  }

  async drop(): Promise<void> {
    const admin = new Client({ connectionString: `${SERVER}/postgres` });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${this.name}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}
