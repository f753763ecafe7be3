import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { toStorableText } from '@falaj/contracts';
import { ScratchDatabase } from '../../../../test/support/scratch-database';
import { AuditPartitions } from '../audit/audit-partitions';
import type { RegistryConfig } from '../registry.config';
import { RegionStoreConnections } from '../region-stores/region-store.connections';
import { ErasureService } from './erasure.service';

/**
 * Real Postgres, the migrated schema: a data subject's audit rows, payload records and jobs in
 * two regions among other subjects' and another tenant's, erased by subject and by request id;
 * exactly the subject's records go, the counts say so, and the record keeps no subject in clear.
 */
describe(ErasureService.name, () => {
  const scratch = new ScratchDatabase('erasure_it');
  const config = { issuer: { keyEncryptionKey: 'k'.repeat(43) } } as RegistryConfig;
  let db: DataSource;
  let erasure: ErasureService;

  const audit = async (tenantId: string, subject: string, region: string, requestId = `r-${randomUUID()}`, withPayload = false): Promise<string> => {
    const eventId = randomUUID();
    await db.query(
      `INSERT INTO audit_log (event_id, request_id, residency_region, tenant_id, subject, model, version, pool, protocol, status, error, latency_ms, served_region, placement, occurred_at)
       VALUES ($1, $2, $3, $4, $5, 'm', 1, 'cpu', 'rest', 200, NULL, 1, $3, NULL, now())`,
      [eventId, requestId, region, tenantId, subject],
    );
    if (withPayload) {
      await db.query(
        `INSERT INTO payload_log (event_id, residency_region, tenant_id, model, version, policy, request, response, occurred_at)
         VALUES ($1, $2, $3, 'm', 1, 'full', '{"inputs":["alice@example.com"]}', '{}', now())`,
        [eventId, region, tenantId],
      );
    }
    return eventId;
  };
  const job = async (tenantId: string, createdBy: string, state: string): Promise<string> => {
    const [{ id }] = await db.query(
      `INSERT INTO batch_jobs (tenant_id, kind, model, version, pool, state, priority, fail_fast, chunk_size, total, created_by, finished_at)
       VALUES ($1, 'batch', 'm', 1, 'cpu.ae', $2::varchar, 1, false, 3, 3, $3, CASE WHEN $2::varchar = 'running' THEN NULL ELSE now() END) RETURNING id`,
      [tenantId, state, createdBy],
    );
    await db.query(`INSERT INTO batch_chunks (job_id, chunk, state) VALUES ($1, 0, 'done')`, [id]);
    await db.query(`INSERT INTO batch_rows (job_id, idx, chunk, state, input, output) SELECT $1, i, 0, 'done', '{"in":1}', '{"out":1}' FROM generate_series(0, 2) i`, [id]);
    return id;
  };
  const count = async (sql: string, params: unknown[] = []) => (await db.query<{ n: number }[]>(sql, params))[0].n;

  beforeAll(async () => {
    db = await scratch.open();
    erasure = new ErasureService(db, config, RegionStoreConnections.catalogOnly(db));
    const layout = new AuditPartitions(db, (work) => db.transaction((tx) => work(tx)));
    for (const region of ['ae', 'eu']) await layout.ensureRegion(region);
  }, 60_000);

  afterAll(async () => {
    await db?.destroy();
    await scratch.drop();
  }, 60_000);

  it("removes a subject's audit rows, payload records and ended jobs' rows in its tenant, and nothing else", async () => {
    await audit('acme', 'alice', 'ae', undefined, true);
    await audit('acme', 'alice', 'eu', undefined, true);
    await audit('acme', 'alice', 'ae');
    const bobs = await audit('acme', 'bob', 'ae', 'order-17', true);
    const keptBob = await audit('acme', 'bob', 'ae', 'order-18', true);
    const otherTenant = await audit('globex', 'alice', 'ae', undefined, true);
    const endedJob = await job('acme', 'alice', 'completed');
    const runningJob = await job('acme', 'alice', 'running');
    const bobsJob = await job('acme', 'bob', 'completed');

    const record = await erasure.erase({ tenantId: 'acme', subject: 'alice', requestIds: ['order-17'], requestedBy: 'dpo' });

    expect(record.counts).toEqual({
      auditRows: 4,
      payloadRows: 3,
      jobs: 1,
      jobRows: 3,
      jobsNotEnded: 1,
      // One database (no FALAJ_REGION_STORES): the catalog holds every region's rows.
      stores: [{ store: 'catalog', regions: ['*'], auditRows: 4, payloadRows: 3, jobRows: 3 }],
    });
    expect(await count(`SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = 'acme' AND subject = 'alice'`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM audit_log WHERE event_id = $1`, [bobs])).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM payload_log WHERE event_id = $1`, [bobs])).toBe(0);
    // Another subject's call not named, and another tenant's row of the same subject, stay.
    expect(await count(`SELECT count(*)::int AS n FROM audit_log WHERE event_id = ANY($1::uuid[])`, [[keptBob, otherTenant]])).toBe(2);
    expect(await count(`SELECT count(*)::int AS n FROM payload_log WHERE event_id = ANY($1::uuid[])`, [[keptBob, otherTenant]])).toBe(2);
    // The ended job lost its rows (its results are 410 as retention's); the running one and bob's kept theirs.
    expect(await count(`SELECT count(*)::int AS n FROM batch_rows WHERE job_id = $1`, [endedJob])).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM batch_jobs WHERE id = $1 AND expired_at IS NOT NULL`, [endedJob])).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM batch_rows WHERE job_id = ANY($1::uuid[])`, [[runningJob, bobsJob]])).toBe(6);

    // The record: who, where, how much; the subject only as its keyed hash.
    const [stored] = await db.query(`SELECT * FROM erasure_requests WHERE id = $1`, [record.id]);
    expect(stored).toMatchObject({ tenant_id: 'acme', requested_by: 'dpo', request_ids: 1, subject_hash: erasure.subjectHash('alice') });
    expect(JSON.stringify(stored)).not.toContain('alice');
  });

  it('a second erasure of the same subject removes nothing and says so', async () => {
    const record = await erasure.erase({ tenantId: 'acme', subject: 'alice', requestedBy: 'dpo' });
    expect(record.counts).toEqual({ auditRows: 0, payloadRows: 0, jobs: 0, jobRows: 0, jobsNotEnded: 1, stores: [{ store: 'catalog', regions: ['*'], auditRows: 0, payloadRows: 0, jobRows: 0 }] });
  });

  it('matches a subject as the audit stored it (escaped), so a hostile subject is still found', async () => {
    const hostile = 'eve\u0000<script>';
    // The audit stores outside text escaped (AuditEventSchema): the erasure escapes what it is given the same way.
    const stored = toStorableText(hostile, 200);
    expect(stored).not.toBe(hostile);
    await audit('acme', stored, 'ae');
    const record = await erasure.erase({ tenantId: 'acme', subject: hostile, requestedBy: 'dpo' });
    expect(record.counts.auditRows).toBe(1);
  });
});
