import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ScratchDatabase } from '../../../../test/support/scratch-database';
import { AuditWriter } from '../audit/audit.writer';
import { RegionStoreConnections } from '../region-stores/region-store.connections';
import { parseRegionStores } from '../region-stores/region-stores.config';
import type { RegistryConfig } from '../registry.config';
import type { BatchQueues } from './batch-queues';
import { BatchJobsService } from './batch-jobs.service';
import type { JobInference } from './job-inference';
import { failedRow, type RowAnswer } from './job-row';

/**
 * Real Postgres: a catalog and the `ae` store. A job's record is in the catalog, its rows and
 * their audit in the store; chunks answered at the same moment each count the rows of the
 * others, so the job ends when its last row is answered — and a record left behind by a registry
 * that died between the two transactions is made good when its chunk is looked at again.
 */
describe('batch results across the catalog and a region store (integration)', () => {
  const catalogDb = new ScratchDatabase('br_catalog');
  const aeDb = new ScratchDatabase('br_ae');
  let catalog: DataSource;
  let stores: RegionStoreConnections;
  let jobs: BatchJobsService;
  const CHUNKS = 4;
  const ROWS_PER_CHUNK = 25;

  const submitted = async (): Promise<{ id: string; residency: string }> => {
    const id = randomUUID();
    await catalog.query(
      `INSERT INTO batch_jobs (id, tenant_id, kind, model, version, pool, residency, state, priority, fail_fast, chunk_size, total, processed, failed, created_by)
       VALUES ($1, 'acme', 'batch', 'm', 1, 'cpu.ae', 'ae', 'queued', 0, false, $2, $3, 0, 0, 'svc')`,
      [id, ROWS_PER_CHUNK, CHUNKS * ROWS_PER_CHUNK],
    );
    await catalog.query(`INSERT INTO batch_chunks (job_id, chunk, state) SELECT $1, c, 'pending' FROM generate_series(0, $2 - 1) c`, [id, CHUNKS]);
    await stores
      .forRegion('ae')
      .query(`INSERT INTO batch_rows (job_id, idx, chunk, state, input) SELECT $1, i, i / $2, 'pending', '{"inputs":[]}' FROM generate_series(0, $3 - 1) i`, [
        id,
        ROWS_PER_CHUNK,
        CHUNKS * ROWS_PER_CHUNK,
      ]);
    return { id, residency: 'ae' };
  };
  const answersOf = (job: { id: string; residency: string }, chunk: number): RowAnswer[] =>
    Array.from({ length: ROWS_PER_CHUNK }, (_, i) => {
      const base = failedRow({ ...job, tenantId: 'acme', kind: 'batch', model: 'm', version: 1, createdBy: 'svc' }, chunk * ROWS_PER_CHUNK + i, 500, 'unused');
      return { index: base.index, ok: true, response: { outputs: [] }, pool: 'cpu.ae', workerId: 'w-ae', audit: { ...base.audit, status: 200, error: null, pool: 'cpu.ae', servedRegion: 'ae' } };
    });
  const record = async (id: string) => (await catalog.query(`SELECT state, processed, failed FROM batch_jobs WHERE id = $1`, [id]))[0];

  beforeAll(async () => {
    catalog = await catalogDb.open();
    stores = await RegionStoreConnections.open(catalog, parseRegionStores(`ae=${aeDb.url}`).stores, { url: catalogDb.url, sslMode: 'disable' });
    const config = { prefix: 'br-it', batch: {} } as unknown as RegistryConfig;
    // applyResults and settleChunk use neither the queues nor the inference pipeline.
    const audit = new AuditWriter({ consumer: () => ({}) } as never, {} as never, config, stores);
    jobs = new BatchJobsService(catalog, config, {} as BatchQueues, {} as JobInference, audit, stores);
  }, 120_000);

  afterAll(async () => {
    await stores?.close();
    await catalog?.destroy();
    for (const db of [catalogDb, aeDb]) await db.drop();
  }, 60_000);

  it('ends a job whose chunks are all answered at the same moment, each row and audit row once, in the store only', async () => {
    for (let round = 0; round < 5; round++) {
      const job = await submitted();
      await Promise.all(Array.from({ length: CHUNKS }, (_, chunk) => jobs.applyResults(job, chunk, answersOf(job, chunk))));
      expect(await record(job.id)).toEqual({ state: 'completed', processed: CHUNKS * ROWS_PER_CHUNK, failed: 0 });
      expect(await catalog.query(`SELECT count(*)::int AS n FROM batch_chunks WHERE job_id = $1 AND state = 'done'`, [job.id])).toEqual([{ n: CHUNKS }]);
      expect(await stores.forRegion('ae').query(`SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS events FROM audit_log WHERE request_id LIKE $1`, [`${job.id}/%`])).toEqual([
        { n: 100, events: 100 },
      ]);
    }
    expect(await catalog.query(`SELECT count(*)::int AS n FROM audit_log`)).toEqual([{ n: 0 }]);
    expect(await catalog.query(`SELECT count(*)::int AS n FROM batch_rows`)).toEqual([{ n: 0 }]);
  });

  it('answers a row once however often its chunk runs, and makes good a record a dead registry left behind', async () => {
    const job = await submitted();
    for (let chunk = 0; chunk < CHUNKS; chunk++) await jobs.applyResults(job, chunk, answersOf(job, chunk));
    // Run again (a lost lock, a forgotten queue): nothing changes.
    await jobs.applyResults(job, 0, answersOf(job, 0));
    expect(await stores.forRegion('ae').query(`SELECT count(*)::int AS n FROM audit_log WHERE request_id LIKE $1`, [`${job.id}/%`])).toEqual([{ n: 100 }]);
    // As if the registry died after the rows' transaction: the record still says running, one chunk pending.
    await catalog.query(`UPDATE batch_jobs SET state = 'running', processed = 75, finished_at = NULL WHERE id = $1`, [job.id]);
    await catalog.query(`UPDATE batch_chunks SET state = 'pending' WHERE job_id = $1 AND chunk = 3`, [job.id]);
    await jobs.settleChunk(job, 3);
    expect(await record(job.id)).toEqual({ state: 'completed', processed: 100, failed: 0 });
  });
});
