import type { DataSource } from 'typeorm';
import { ScratchDatabase } from '../../../../test/support/scratch-database';
import { MIGRATIONS } from '../database/data-source.options';
import { AuditTimePartitions1765300000000 } from '../database/migrations/1765300000000-audit-time-partitions';
import { monthPartitionName, monthsAhead } from './audit-partition.policy';

/**
 * Real Postgres: a registry database as it was before the audit log was partitioned by time,
 * with rows in region partitions and in the LIST default, migrated up (and down, and up again):
 * every row is still there, each in its month.
 */
const BEFORE = MIGRATIONS.slice(0, MIGRATIONS.indexOf(AuditTimePartitions1765300000000));

describe(AuditTimePartitions1765300000000.name, () => {
  const scratch = new ScratchDatabase('audit_parts_it');
  let db: DataSource;

  /** Every row, whole, in a fixed order: equal before and after means none was lost or changed. */
  const snapshot = async () => (await db.query(`SELECT md5(string_agg(a::text, '|' ORDER BY event_id)) AS digest, count(*)::int AS n FROM audit_log a`))[0] as { digest: string; n: number };
  const holders = async () => await db.query<{ t: string; n: number }[]>(`SELECT tableoid::regclass::text AS t, count(*)::int AS n FROM audit_log GROUP BY 1 ORDER BY 1`);

  beforeAll(async () => {
    db = await scratch.open({ migrations: BEFORE });
    // As the writer made them before: a plain partition per region; 'zz' had none, so its rows sit in the default.
    await db.query(`CREATE TABLE audit_log_ae PARTITION OF audit_log FOR VALUES IN ('ae')`);
    await db.query(`CREATE TABLE audit_log_eu PARTITION OF audit_log FOR VALUES IN ('eu')`);
    await db.query(
      `INSERT INTO audit_log (event_id, request_id, residency_region, tenant_id, subject, model, version, pool, protocol, status, error, latency_ms, served_region, placement, occurred_at)
       SELECT gen_random_uuid(), 'r-' || i, (ARRAY['ae', 'eu', 'zz'])[1 + i % 3], 't' || (i % 7), 'svc', 'm', i % 4, 'cpu', 'rest', 200 + i % 2,
              CASE WHEN i % 5 = 0 THEN 'e' END, i / 10.0, 'ae', 'p', date_trunc('month', now()) - interval '300 days' + i * interval '37 minutes'
         FROM generate_series(1, 20000) i`,
    );
    // One older than the months kept apart (122): it must land in the default sub-partition, not be lost.
    await db.query(
      `INSERT INTO audit_log (event_id, request_id, residency_region, tenant_id, subject, model, protocol, status, latency_ms, occurred_at)
       VALUES (gen_random_uuid(), 'ancient', 'ae', 't0', 'svc', 'm', 'rest', 200, 1, '2001-02-03T04:05:06Z')`,
    );
  }, 60_000);

  afterAll(async () => {
    await db?.destroy();
    await scratch.drop();
  }, 60_000);

  it('keeps every row of a populated table, each region sub-partitioned by month with a default', async () => {
    const before = await snapshot();
    expect(before.n).toBe(20_001);
    await db.destroy();
    db = await scratch.open();
    expect(await snapshot()).toEqual(before);

    const kinds = await db.query<{ name: string; kind: string }[]>(
      `SELECT c.relname AS name, c.relkind AS kind FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_log'::regclass ORDER BY 1`,
    );
    expect(kinds).toEqual([
      { name: 'audit_log_ae', kind: 'p' },
      { name: 'audit_log_default', kind: 'p' },
      { name: 'audit_log_eu', kind: 'p' },
    ]);
    const [key] = await db.query(`SELECT pg_get_partkeydef('audit_log_ae'::regclass) AS key`);
    expect(key.key).toBe('RANGE (occurred_at)');
    const held = await holders();
    // Only leaves hold rows: months, and the one ancient row in ae's default.
    expect(held.every((h) => /_p\d{6}$/.test(h.t) || h.t === 'audit_log_ae_pdefault')).toBe(true);
    expect(held.find((h) => h.t === 'audit_log_ae_pdefault')).toEqual({ t: 'audit_log_ae_pdefault', n: 1 });
    expect(held.filter((h) => h.t.startsWith('audit_log_default_p')).reduce((n, h) => n + h.n, 0)).toBe(6667);
    for (const table of ['audit_log_ae', 'audit_log_eu', 'audit_log_default']) {
      for (const month of monthsAhead(new Date())) expect(await leaves(table)).toContain(monthPartitionName(table, month));
    }
  }, 120_000);

  it('migrates down and up again keeping every row', async () => {
    const before = await snapshot();
    // Every migration after this one, then this one.
    const after = MIGRATIONS.length - MIGRATIONS.indexOf(AuditTimePartitions1765300000000);
    for (let i = 0; i < after; i++) await db.undoLastMigration();
    expect(await snapshot()).toEqual(before);
    expect((await holders()).map((h) => h.t)).toEqual(['audit_log_ae', 'audit_log_default', 'audit_log_eu']);
    await db.runMigrations();
    expect(await snapshot()).toEqual(before);
  }, 120_000);

  const leaves = async (parent: string) =>
    (await db.query<{ name: string }[]>(`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass`, [parent])).map((r) => r.name);
});
