import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS, dataSourceOptions } from '../../apps/registry/src/database/data-source.options';
import { ensureDatabase } from '../../apps/registry/src/database/ensure-database';
import { databaseConnection } from '../../apps/registry/src/database/database-connection';

/** Real Postgres. Entities and migrations must agree: a change to one without the other fails here. */
const SERVER = process.env.FALAJ_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

describe('registry schema', () => {
  const database = `falaj_drift_${randomBytes(4).toString('hex')}`;
  // The operator's superuser over the machine's trust auth: what is tested here is the schema, not the role.
  const connection = databaseConnection({ url: `${SERVER}/${database}`, sslMode: 'disable' });
  let db: DataSource;

  beforeAll(async () => {
    await ensureDatabase(connection);
    db = new DataSource({ ...dataSourceOptions(connection), logging: false });
    await db.initialize();
  });

  afterAll(async () => {
    await db?.destroy();
    const admin = new Client({ connectionString: `${SERVER}/postgres` });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  });

  it('is what the migrations build, with nothing left for TypeORM to synchronize', async () => {
    const pending = await db.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('partitions the audit log by residency region', async () => {
    const [row] = await db.query(
      `SELECT partstrat, pg_get_partkeydef('audit_log'::regclass) AS key FROM pg_partitioned_table WHERE partrelid = 'audit_log'::regclass`,
    );
    expect(row).toEqual({ partstrat: 'l', key: 'LIST (residency_region)' });
  });

  it('migrates down to nothing and up again', async () => {
    for (let i = 0; i < MIGRATIONS.length; i++) await db.undoLastMigration();
    const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`);
    expect(count).toBe(0);
    await db.runMigrations();
    expect(await db.showMigrations()).toBe(false);
  });

  it('creates the database when it does not exist, and is a no-op when it does', async () => {
    await expect(ensureDatabase(connection)).resolves.toBeUndefined();
  });
});
