import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { ScratchDatabase } from '../../../../test/support/scratch-database';
import { addMonths, monthBounds, monthPartitionName, monthStart } from '../audit/audit-partition.policy';
import { AuditPartitions } from '../audit/audit-partitions';
import type { RegistryConfig } from '../registry.config';
import { RegionStoreConnections } from '../region-stores/region-store.connections';
import { TenantRecords } from '../tenants/tenant-records';
import { RetentionService } from './retention.service';

/**
 * Real Postgres, nothing faked: the migrated registry schema, rows written at chosen ages, and
 * the retention pass as the scheduler runs it. The platform's audit default is 60 days here, so
 * the months older than that are dropped whole and the rest of what expired goes by DELETE.
 */
const DAY = 86_400_000;
const AUDIT_DEFAULT_DAYS = 60;
const JOB_DEFAULT_DAYS = 30;

describe(RetentionService.name, () => {
  const scratch = new ScratchDatabase('retention_it');
  const config = { registryId: 'retention-it', retention: { auditDays: AUDIT_DEFAULT_DAYS, jobDays: JOB_DEFAULT_DAYS, intervalMs: 0, batchRows: 5000 } } as RegistryConfig;
  let db: DataSource;
  let service: RetentionService;
  let layout: AuditPartitions;
  const now = new Date();
  const ago = (days: number, seconds = 0) => new Date(now.getTime() - days * DAY + seconds * 1000);

  const insertAudit = async (tenantId: string, region: string, at: Date): Promise<string> => {
    const eventId = randomUUID();
    await db.query(
      `INSERT INTO audit_log (event_id, request_id, residency_region, tenant_id, subject, model, version, pool, protocol, status, error, latency_ms, served_region, placement, occurred_at)
       VALUES ($1, $2, $3, $4, 'svc', 'm', 1, 'cpu', 'rest', 200, NULL, 1, $3, NULL, $5)`,
      [eventId, `r-${eventId}`, region, tenantId, at],
    );
    return eventId;
  };
  const insertJob = async (tenantId: string, state: string, finishedAt: Date | null): Promise<string> => {
    const [{ id }] = await db.query(
      `INSERT INTO batch_jobs (tenant_id, kind, model, version, pool, state, priority, fail_fast, chunk_size, total, created_by, created_at, finished_at)
       VALUES ($1, 'batch', 'm', 1, 'cpu.ae', $2, 1, false, 3, 3, 'svc', $3, $4) RETURNING id`,
      [tenantId, state, ago(400), finishedAt],
    );
    await db.query(`INSERT INTO batch_chunks (job_id, chunk, state) VALUES ($1, 0, 'done')`, [id]);
    await db.query(`INSERT INTO batch_rows (job_id, idx, chunk, state, input, output) SELECT $1, i, 0, 'done', '{"in":1}', '{"out":1}' FROM generate_series(0, 2) i`, [id]);
    return id;
  };
  const auditIds = async () => new Set((await db.query<{ event_id: string }[]>(`SELECT event_id FROM audit_log`)).map((r) => r.event_id));
  const tableExists = async (name: string) => (await db.query<{ e: boolean }[]>(`SELECT to_regclass($1) IS NOT NULL AS e`, [name]))[0].e;
  const holderOf = async (eventId: string) => (await db.query<{ t: string }[]>(`SELECT tableoid::regclass::text AS t FROM audit_log WHERE event_id = $1`, [eventId]))[0]?.t;

  beforeAll(async () => {
    db = await scratch.open();
    service = new RetentionService(db, config, RegionStoreConnections.catalogOnly(db), new TenantRecords(db));
    layout = new AuditPartitions(db, (work) => db.transaction((tx) => work(tx)));
    await db.query(`INSERT INTO tenants (id, name, residency, audit_retention_days, job_retention_days) VALUES ('short', 'Short', 'ae', 10, 2), ('long', 'Long', 'eu', 45, NULL)`);
    for (const region of ['ae', 'eu']) {
      const table = await layout.ensureRegion(region, now);
      // The months of the rows below, as the migration makes them for the rows a table already holds.
      for (let m = monthStart(ago(220)); m <= monthStart(now); m = addMonths(m, 1)) await layout.ensureMonth(table, m);
    }
  }, 60_000);

  afterAll(async () => {
    await db?.destroy();
    await scratch.drop();
  }, 60_000);

  describe('runPass', () => {
    it('removes exactly what expired for each tenant, drops the months past the longest retention, and records the run', async () => {
      const expired = new Set<string>();
      const kept = new Set<string>();
      const row = async (into: Set<string>, tenant: string, region: string, at: Date) => into.add(await insertAudit(tenant, region, at));
      // short: 10 days. long: 45 days. gone: no tenant row any more, the platform's 60 days.
      for (const region of ['ae', 'eu']) {
        await row(expired, 'short', region, ago(200));
        await row(expired, 'long', region, ago(200));
      }
      await row(expired, 'short', 'ae', ago(10, -1));
      await row(kept, 'short', 'ae', ago(10, 1));
      await row(kept, 'short', 'eu', ago(1));
      await row(expired, 'long', 'eu', ago(45, -1));
      await row(kept, 'long', 'eu', ago(45, 1));
      await row(kept, 'long', 'ae', ago(20));
      await row(expired, 'gone', 'ae', ago(60, -1));
      await row(kept, 'gone', 'ae', ago(60, 1));
      // Older than any month partition: it sits in the region's default sub-partition, and goes by DELETE from there.
      const stray = await insertAudit('short', 'ae', ago(5 * 365));
      expired.add(stray);
      expect(await holderOf(stray)).toBe('audit_log_ae_pdefault');

      const expiredJobs = [await insertJob('short', 'completed', ago(2, -1)), await insertJob('long', 'cancelled', ago(30, -1)), await insertJob('gone', 'failed', ago(31))];
      const keptJobs = [await insertJob('short', 'failed', ago(2, 1)), await insertJob('short', 'running', null), await insertJob('long', 'completed', ago(20))];

      const before = await layout.monthPartitions();
      const oldest = monthPartitionName('audit_log_ae', ago(200));
      expect(before.map((p) => p.name)).toContain(oldest);

      const run = await service.runPass('admin', { now });

      expect(run).toMatchObject({ state: 'completed', trigger: 'admin', instance: 'retention-it', error: null });
      const left = await auditIds();
      for (const id of kept) expect(left).toContain(id);
      for (const id of expired) expect(left).not.toContain(id);
      expect(left.size).toBe(kept.size);

      // Gone exactly the months that ended before the platform's longest retention (60 days) began.
      const cutoff = ago(AUDIT_DEFAULT_DAYS).getTime();
      for (const partition of before) expect([partition.name, await tableExists(partition.name)]).toEqual([partition.name, monthBounds(partition.month).to.getTime() > cutoff]);
      const dropped = before
        .filter((p) => monthBounds(p.month).to.getTime() <= cutoff)
        .map((p) => p.name)
        .sort();
      expect(dropped).toContain(oldest);
      expect(run!.partitionsDropped.map((p) => p.table).sort()).toEqual(dropped);

      // The rows in dropped months are not counted one by one: these are the rows DELETE removed.
      expect(run!.removed).toEqual(
        expect.arrayContaining([
          { tenantId: 'short', kind: 'audit', rowsDeleted: 2, store: 'catalog' },
          { tenantId: 'long', kind: 'audit', rowsDeleted: 1, store: 'catalog' },
          { tenantId: 'gone', kind: 'audit', rowsDeleted: 1, store: 'catalog' },
          { tenantId: 'short', kind: 'jobs', rowsDeleted: 3, jobsExpired: 1, store: 'catalog' },
          { tenantId: 'long', kind: 'jobs', rowsDeleted: 3, jobsExpired: 1, store: 'catalog' },
          { tenantId: 'gone', kind: 'jobs', rowsDeleted: 3, jobsExpired: 1, store: 'catalog' },
        ]),
      );
      expect(run!.removed).toHaveLength(6);

      const jobs = await db.query<{ id: string; expired_at: Date | null; rows: number; chunks: number }[]>(
        `SELECT j.id, j.expired_at, (SELECT count(*)::int FROM batch_rows r WHERE r.job_id = j.id) AS rows, (SELECT count(*)::int FROM batch_chunks c WHERE c.job_id = j.id) AS chunks FROM batch_jobs j`,
      );
      for (const job of jobs) {
        const gone = expiredJobs.includes(job.id);
        expect(keptJobs.includes(job.id) || gone).toBe(true);
        expect({ expired: job.expired_at !== null, rows: job.rows, chunks: job.chunks }).toEqual(gone ? { expired: true, rows: 0, chunks: 0 } : { expired: false, rows: 3, chunks: 1 });
      }

      const [recorded] = await service.runs(1);
      expect(recorded).toMatchObject({ id: run!.id, state: 'completed', removed: run!.removed, partitionsDropped: run!.partitionsDropped });
      expect(recorded.finishedAt!.getTime()).toBeGreaterThanOrEqual(recorded.startedAt.getTime());

      // Nothing more has expired: a second pass removes nothing.
      const again = await service.runPass('schedule', { now });
      expect(again).toMatchObject({ state: 'completed', removed: [], partitionsDropped: [] });
      expect((await auditIds()).size).toBe(kept.size);
    }, 60_000);

    it('does not run while another registry holds the pass lock', async () => {
      const other = new Client({ connectionString: scratch.url });
      await other.connect();
      try {
        await other.query(`SELECT pg_advisory_lock(hashtext('falaj:retention-pass'))`);
        await expect(service.runPass('admin')).resolves.toBeNull();
        await other.query(`SELECT pg_advisory_unlock(hashtext('falaj:retention-pass'))`);
        await expect(service.runPass('admin')).resolves.toMatchObject({ state: 'completed' });
      } finally {
        await other.end();
      }
    }, 30_000);

    it('makes next month ahead under every region and the LIST default', async () => {
      const next = addMonths(monthStart(now), 1);
      await db.query(`DROP TABLE ${monthPartitionName('audit_log_eu', next)}`);
      const run = await service.runPass('admin', { now });
      expect(run!.partitionsCreated).toEqual([`audit_log_eu:${next.toISOString().slice(0, 7)}`]);
      for (const table of ['audit_log_ae', 'audit_log_eu', 'audit_log_default']) expect(await tableExists(monthPartitionName(table, next))).toBe(true);
    }, 30_000);

    it('reports a pass over 200k expired audit rows among 100k kept', async () => {
      // 100k in a month past every retention (dropped), 100k of 'short' past its 10 days (deleted in batches), 100k of 'long' within its 45 (kept).
      const insertMany = (tenant: string, from: Date, spanSeconds: number, count: number) =>
        db.query(
          `INSERT INTO audit_log (event_id, request_id, residency_region, tenant_id, subject, model, version, pool, protocol, status, latency_ms, occurred_at)
           SELECT gen_random_uuid(), 'bulk-' || i, 'ae', $1, 'svc', 'm', 1, 'cpu', 'rest', 200, 1, $2::timestamptz + (i % $3) * interval '1 second'
             FROM generate_series(1, $4) i`,
          [tenant, from, spanSeconds, count],
        );
      const oldMonth = addMonths(monthStart(ago(AUDIT_DEFAULT_DAYS)), -2);
      await layout.ensureMonth('audit_log_ae', oldMonth);
      await insertMany('long', oldMonth, 20 * 86_400, 100_000);
      await insertMany('short', ago(20), 5 * 86_400, 100_000);
      await insertMany('long', ago(40), 39 * 86_400, 100_000);
      await db.query(`ANALYZE audit_log`);
      const started = Date.now();
      const run = await service.runPass('admin', { now });
      const ms = Date.now() - started;
      process.stdout.write(`retention pass over 300k audit rows, 200k expired (100k in a dropped month, 100k deleted in batches of 5000): ${ms} ms\n`);
      expect(run!.partitionsDropped.map((p) => p.table)).toEqual([monthPartitionName('audit_log_ae', oldMonth)]);
      expect(run!.removed).toEqual([{ tenantId: 'short', kind: 'audit', rowsDeleted: 100_000, store: 'catalog' }]);
      expect(await db.query(`SELECT tenant_id, count(*)::int AS n FROM audit_log WHERE request_id LIKE 'bulk-%' GROUP BY 1`)).toEqual([{ tenant_id: 'long', n: 100_000 }]);
    }, 120_000);
  });

  describe('the audit layout', () => {
    it('takes a row for which no month exists into the default, and moves it into its month when the month is made', async () => {
      const table = await layout.ensureRegion('xy', now);
      const far = addMonths(monthStart(now), 6);
      const id = await insertAudit('short', 'xy', far);
      expect(await holderOf(id)).toBe('audit_log_xy_pdefault');
      expect(await layout.ensureMonth(table, far)).toBe(true);
      expect(await holderOf(id)).toBe(monthPartitionName('audit_log_xy', far));
      expect(await layout.ensureMonth(table, far)).toBe(false);
    }, 30_000);

    it('makes the month even when a row of it reaches the default between the look and the CREATE (another registry writing)', async () => {
      const table = await layout.ensureRegion('xz', now);
      const far = addMonths(monthStart(now), 7);
      let racer: Promise<string> | undefined;
      // The real database; only the moment is chosen: the row arrives just before the CREATE runs.
      const sql = {
        query: async (text: string, params?: unknown[]) => {
          if (text.startsWith('CREATE TABLE IF NOT EXISTS') && text.includes('FOR VALUES FROM')) await (racer ??= insertAudit('short', 'xz', far));
          return db.query(text, params);
        },
      };
      const racing = new AuditPartitions(sql, (work) => db.transaction((tx) => work(tx)));
      expect(await racing.ensureMonth(table, far)).toBe(true);
      expect(await holderOf(await racer!)).toBe(monthPartitionName('audit_log_xz', far));
    }, 30_000);
  });
});
