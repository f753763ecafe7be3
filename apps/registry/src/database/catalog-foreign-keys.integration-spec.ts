import type { DataSource } from 'typeorm';
import { CatalogRepository } from '../catalog';
import { ScratchDatabase } from '../../../../test/support/scratch-database';

const SHA = 'a'.repeat(64);

/** Real Postgres. The catalog's rows belong to their model: the foreign keys, their cascade, the migration's clean-up, the model lock. */
describe('catalog foreign keys', () => {
  const scratch = new ScratchDatabase('catalog_fk');
  let db: DataSource;

  beforeAll(async () => {
    db = await scratch.open();
  });

  afterAll(async () => {
    await db?.destroy();
    await scratch.drop();
  });

  async function modelWithState(name: string): Promise<string> {
    const [{ id }] = await db.query<{ id: string }[]>(`INSERT INTO models (tenant_id, name, created_by) VALUES ('t1', $1, 'test') RETURNING id`, [name]);
    await db.query(`INSERT INTO model_versions (model_id, version, stage, sha256, size_bytes, signature, created_by) VALUES ($1, 1, 'production', $2, 10, '{}', 'test')`, [id, SHA]);
    await db.query(`INSERT INTO model_aliases (model_id, alias, version, updated_by) VALUES ($1, 'champion', 1, 'test')`, [id]);
    await db.query(`INSERT INTO stage_transitions (model_id, version, from_stage, to_stage, actor) VALUES ($1, 1, NULL, 'draft', 'test')`, [id]);
    await db.query(`INSERT INTO deployments (model_id, revision, spec, updated_by) VALUES ($1, 1, '{"targets":[]}', 'test')`, [id]);
    await db.query(`INSERT INTO deployment_revisions (model_id, revision, spec, actor) VALUES ($1, 1, '{"targets":[]}', 'test')`, [id]);
    return id;
  }

  async function rowsOf(modelId: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const table of ['model_versions', 'model_aliases', 'stage_transitions', 'deployments', 'deployment_revisions']) {
      const [{ count }] = await db.query<{ count: number }[]>(`SELECT count(*)::int AS count FROM ${table} WHERE model_id = $1`, [modelId]);
      counts[table] = count;
    }
    return counts;
  }

  it("deletes a model's versions, aliases, transitions, deployment and revisions with it, and no other model's", async () => {
    const gone = await modelWithState('gone');
    const kept = await modelWithState('kept');
    await db.query(`DELETE FROM models WHERE id = $1`, [gone]);
    expect(await rowsOf(gone)).toEqual({ model_versions: 0, model_aliases: 0, stage_transitions: 0, deployments: 0, deployment_revisions: 0 });
    expect(await rowsOf(kept)).toEqual({ model_versions: 1, model_aliases: 1, stage_transitions: 1, deployments: 1, deployment_revisions: 1 });
  });

  it('refuses serving state for a model that does not exist', async () => {
    const missing = '00000000-0000-0000-0000-000000000001';
    await expect(
      db.query(`INSERT INTO model_versions (model_id, version, stage, sha256, size_bytes, signature, created_by) VALUES ($1, 1, 'draft', $2, 1, '{}', 'x')`, [missing, SHA]),
    ).rejects.toMatchObject({
      code: '23503',
    });
    await expect(db.query(`INSERT INTO deployment_revisions (model_id, revision, spec, actor) VALUES ($1, 1, NULL, 'x')`, [missing])).rejects.toMatchObject({ code: '23503' });
  });

  it('migrates an existing database: orphan rows (whose model is gone) are deleted first, the rest stays', async () => {
    const kept = await modelWithState('survivor');
    // Back to the schema before the foreign keys (undoing the migrations after them first).
    while ((await db.query(`SELECT 1 FROM migrations WHERE name = 'CatalogForeignKeys1765360000000'`)).length > 0) await db.undoLastMigration();
    const orphan = '00000000-0000-0000-0000-000000000002';
    await db.query(`INSERT INTO model_versions (model_id, version, stage, sha256, size_bytes, signature, created_by) VALUES ($1, 1, 'draft', $2, 1, '{}', 'x')`, [orphan, SHA]);
    await db.query(`INSERT INTO stage_transitions (model_id, version, from_stage, to_stage, actor) VALUES ($1, 1, NULL, 'draft', 'x')`, [orphan]);
    await db.query(`INSERT INTO deployment_revisions (model_id, revision, spec, actor) VALUES ($1, 1, NULL, 'x')`, [orphan]);
    await db.runMigrations();
    expect(await db.showMigrations()).toBe(false);
    expect(Object.values(await rowsOf(orphan))).toEqual([0, 0, 0, 0, 0]);
    expect(await rowsOf(kept)).toEqual({ model_versions: 1, model_aliases: 1, stage_transitions: 1, deployments: 1, deployment_revisions: 1 });
  });

  it("serializes two changes of one model: the second waits for the first's commit", async () => {
    const id = await modelWithState('locked');
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstLocked!: () => void;
    const locked = new Promise<void>((resolve) => (firstLocked = resolve));
    const first = db.transaction(async (tx) => {
      await new CatalogRepository(db).lock(tx, id);
      order.push('first locked');
      firstLocked();
      await firstHolds;
      await tx.query(`UPDATE model_versions SET stage = 'staging' WHERE model_id = $1`, [id]);
      order.push('first commits');
    });
    await locked;
    const second = db.transaction(async (tx) => {
      await new CatalogRepository(db).lock(tx, id);
      order.push('second locked');
      const [{ stage }] = await tx.query<{ stage: string }[]>(`SELECT stage FROM model_versions WHERE model_id = $1`, [id]);
      return stage;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(order).toEqual(['first locked']);
    releaseFirst();
    await first;
    // The second saw the first's committed change, not the state from before it.
    await expect(second).resolves.toBe('staging');
    expect(order).toEqual(['first locked', 'first commits', 'second locked']);
  });
});
