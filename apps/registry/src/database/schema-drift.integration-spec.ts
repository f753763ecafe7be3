import type { DataSource } from 'typeorm';
import { MIGRATIONS } from './data-source.options';
import { ensureDatabase } from './ensure-database';
import { ScratchDatabase } from '../../../../test/support/scratch-database';

/** Real Postgres. Entities and migrations must agree: a change to one without the other fails here. */
describe('registry schema', () => {
  const scratch = new ScratchDatabase('drift');
  let db: DataSource;

  beforeAll(async () => {
    db = await scratch.open();
  });

  afterAll(async () => {
    await db?.destroy();
    await scratch.drop();
  });

  it('is what the migrations build, with nothing left for TypeORM to synchronize', async () => {
    const pending = await db.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('partitions the audit log by residency region', async () => {
    const [row] = await db.query(`SELECT partstrat, pg_get_partkeydef('audit_log'::regclass) AS key FROM pg_partitioned_table WHERE partrelid = 'audit_log'::regclass`);
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
    await expect(ensureDatabase(scratch.connection)).resolves.toBeUndefined();
  });
});
