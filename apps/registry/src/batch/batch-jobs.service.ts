import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '@falaj/auth';
import { placeTarget, resolveTarget } from '@falaj/routing';
import { AuditWriter } from '../audit/audit.writer';
import { RegionStoreConnections } from '../region-stores/region-store.connections';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { BatchChunkEntity } from './batch-chunk.entity';
import { BatchInputError, parseBatchInput, type ParseLimits } from './batch-input.parser';
import { LineLimitError } from './batch-line.reader';
import { BatchJobEntity } from './batch-job.entity';
import { TERMINAL_STATES } from './batch-job.states';
import { BatchQueues } from './batch-queues';
import { BatchRowEntity } from './batch-row.entity';
import { BatchError } from './batch.exception';
import type { ListJobsQuery, SubmitJobQuery } from './batch.dto';
import { JobInference } from './job-inference';
import { jobRegion, type RowAnswer } from './job-row';

const INSERT_ROWS_AT_ONCE = 500;
const IN_FLIGHT: readonly string[] = ['queued', 'running'];

export interface JobView {
  id: string;
  kind: 'batch' | 'async';
  model: string;
  version: number;
  state: string;
  priority: number;
  total: number;
  processed: number;
  failed: number;
  error: string | null;
  /** Why the job waits now (its tenant's quota, no ready worker); null while its rows flow. */
  waiting: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** When retention deleted its rows (its results are 410 Gone since); null while they are kept. */
  expiredAt: Date | null;
  /** Seconds left at the rate seen so far; null until there is a rate. */
  etaSeconds: number | null;
}

/**
 * Batch and async inference jobs. The catalog holds each job's record and its chunks; its rows
 * (inputs, answers: the job's payload) are in the store of the submitter's region, beside their
 * audit rows (RegionStoreConnections); BullMQ only says which chunk to run next (BatchRunner runs
 * it, each row through the inference pipeline). Rows are answered once (pending → done|failed),
 * each with its one audit row in the same transaction of the region's store, so a chunk that
 * runs twice — a crashed registry, a lost queue — changes nothing the second time.
 */
@Injectable()
export class BatchJobsService {
  private readonly logger = new Logger(BatchJobsService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly queues: BatchQueues,
    private readonly inference: JobInference,
    private readonly audit: AuditWriter,
    @Inject(RegionStoreConnections) private readonly stores: RegionStoreConnections,
  ) {}

  /**
   * Reads the job's rows into Postgres as they arrive, within the job's and the tenant's limits
   * (FALAJ_BATCH_*): a row, a body or a tenant's bytes over its limit stops the read at once
   * with a 413 naming it, and the rest of the body is drained unread so the answer reaches the
   * caller. Nothing of a refused job is kept.
   */
  /** `traceparent`: the submission's trace context (the tracer's, never the caller's header as it came). */
  async submit(principal: Principal, query: SubmitJobQuery, source: Readable, kind: 'batch' | 'async' = 'batch', traceparent?: string): Promise<JobView> {
    try {
      return await this.submitWithin(principal, query, source, kind, traceparent);
    } catch (error) {
      // Read no further, buffer nothing: discard what the client still sends.
      if (!source.readableEnded) source.resume();
      throw error;
    }
  }

  private async submitWithin(principal: Principal, query: SubmitJobQuery, source: Readable, kind: 'batch' | 'async', traceparent: string | undefined): Promise<JobView> {
    // The rows' store first: a region without one is refused (503) before anything else is looked at.
    const region = principal.residency ?? 'unknown';
    const store = this.stores.forRegion(region);
    const { route, target, signature } = resolveTarget(query.model, this.inference.routes.lookup(principal.tenantId, query.model), query.version, undefined, this.inference.routes.present);
    // Residency first, as for a call: a job whose rows could only run outside the tenant's region is refused (503) before a row is read.
    const pool = placeTarget(route, target, principal.residency);
    const limits = await this.inputLimits(principal.tenantId);
    let inputBytes = 0;
    // Not destroyed when the parser stops early: the request must stay open to carry the error.
    const chunks = source.iterator({ destroyOnReturn: false });
    async function* counted(): AsyncGenerator<Buffer | string> {
      for await (const chunk of chunks as AsyncIterable<Buffer | string>) {
        inputBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
        yield chunk;
      }
    }
    const id = randomUUID();
    // The rows, in the region's store; then the job's record and chunks, in the catalog. A job
    // whose record was not made leaves no rows behind.
    const read = await store
      .transaction(async (tx) => {
        let pending: Partial<BatchRowEntity>[] = [];
        const chunks = new Set<number>();
        let total = 0;
        let failed = 0;
        for await (const row of parseBatchInput(counted(), signature, limits)) {
          total++;
          const chunk = Math.floor(row.index / query.chunkSize);
          if (row.ok) {
            chunks.add(chunk);
            pending.push({ jobId: id, idx: row.index, chunk, state: 'pending', input: row.request as object });
          } else {
            if (query.failFast) throw BatchError.badRow(row.index, row.error, row.status);
            failed++;
            pending.push({ jobId: id, idx: row.index, chunk, state: 'failed', status: row.status, error: row.error });
          }
          if (pending.length >= INSERT_ROWS_AT_ONCE) pending = await this.insertRows(tx, pending);
        }
        await this.insertRows(tx, pending);
        return { total, failed, chunks: [...chunks] };
      })
      .catch((error: unknown) => {
        if (error instanceof BatchInputError) {
          throw error.status === 413 ? new BatchError(413, error.message, 'too_many_rows', { limit: 'batch_job_rows' }) : new BatchError(400, error.message, 'bad_input');
        }
        if (error instanceof LineLimitError) throw this.limitError(error, limits);
        throw error;
      });
    const job = await this.db
      .transaction(async (tx) => {
        const jobs = tx.getRepository(BatchJobEntity);
        await jobs.insert({
          id,
          tenantId: principal.tenantId,
          kind,
          model: route.model,
          version: target.version,
          pool,
          residency: principal.residency ?? null,
          waiting: null,
          state: read.chunks.length === 0 ? 'completed' : 'queued',
          priority: query.priority,
          failFast: query.failFast,
          chunkSize: query.chunkSize,
          total: read.total,
          processed: read.failed,
          failed: read.failed,
          inputBytes,
          error: null,
          createdBy: principal.subject,
          traceparent: traceparent ?? null,
          startedAt: null,
          finishedAt: read.chunks.length === 0 ? new Date() : null,
        });
        await tx.getRepository(BatchChunkEntity).insert(read.chunks.map((chunk) => ({ jobId: id, chunk, state: 'pending' as const, attempt: 0 })));
        return jobs.findOneByOrFail({ id });
      })
      .catch(async (error: unknown) => {
        await store
          .query(`DELETE FROM batch_rows WHERE job_id = $1`, [id])
          .catch((cleanup: Error) => this.logger.error({ job: id, region, error: cleanup.message }, 'rows of a job whose record was not made are left in the store'));
        throw error;
      });
    for (const chunk of await this.db.getRepository(BatchChunkEntity).findBy({ jobId: job.id })) await this.enqueue(job, chunk);
    this.logger.log({ job: job.id, kind, model: job.model, version: job.version, rows: job.total, failed: job.failed }, 'batch job submitted');
    return toView(job);
  }

  /**
   * The limits of the job about to be read: the tenant's jobs in flight must leave room for one
   * more, and the body may use what the tenant's byte limit leaves (or the per-job limit, if smaller).
   * Checked before the read, so concurrent submissions of one tenant may overshoot by what they carry.
   */
  private async inputLimits(tenantId: string): Promise<ParseLimits & { tenantBytesLeft: number }> {
    const limits = this.config.batch;
    const [{ jobs, bytes }] = await this.db.query<{ jobs: number; bytes: string }[]>(
      `SELECT count(*)::int AS jobs, COALESCE(sum(input_bytes), 0)::bigint AS bytes FROM batch_jobs WHERE tenant_id = $1 AND state = ANY($2)`,
      [tenantId, IN_FLIGHT],
    );
    if (jobs >= limits.tenantMaxJobs) throw BatchError.tooManyJobs(limits.tenantMaxJobs);
    const tenantBytesLeft = limits.tenantMaxBytes - Number(bytes);
    // The tenant's jobs in flight hold it all: once they finish, the same job fits.
    if (tenantBytesLeft <= 0) throw BatchError.tenantBytes(limits.tenantMaxBytes, true);
    return {
      maxRows: limits.maxRows,
      maxRowBytes: limits.maxRowBytes,
      maxBytes: Math.min(limits.maxJobBytes, tenantBytesLeft),
      tensorLimits: this.config.tensorLimits,
      tenantBytesLeft,
    };
  }

  private limitError(error: LineLimitError, limits: { tenantBytesLeft: number }): BatchError {
    const { maxRowBytes, maxJobBytes, tenantMaxBytes } = this.config.batch;
    if (error.limit === 'line') return BatchError.rowTooLarge(error.line, maxRowBytes);
    if (limits.tenantBytesLeft >= maxJobBytes) return BatchError.jobTooLarge(maxJobBytes);
    // Over what the tenant's other jobs leave: later, when they finish, it may fit; a job larger
    // than the tenant's whole budget never will.
    return BatchError.tenantBytes(tenantMaxBytes, limits.tenantBytesLeft < tenantMaxBytes);
  }

  async get(principal: Principal, id: string): Promise<JobView> {
    return toView(await this.job(principal, id));
  }

  /**
   * The tenant's batch jobs (async single inferences are not listed), newest first. Keyset on
   * (created_at, id), the cursor job's own values read in SQL: microseconds a JS Date would drop
   * never skip a job. A cursor of another tenant (or of none) matches nothing: an empty page.
   */
  async list(principal: Principal, query: ListJobsQuery): Promise<{ jobs: JobView[]; nextCursor: string | null }> {
    const select = this.db.getRepository(BatchJobEntity).createQueryBuilder('j').where('j.tenant_id = :tenantId AND j.kind = :kind', { tenantId: principal.tenantId, kind: 'batch' });
    if (query.state) select.andWhere('j.state = :state', { state: query.state });
    if (query.cursor) {
      select.andWhere('(j.created_at, j.id) < (SELECT c.created_at, c.id FROM batch_jobs c WHERE c.id = :cursor AND c.tenant_id = :tenantId)', { cursor: query.cursor });
    }
    const page = await select
      .orderBy('j.created_at', 'DESC')
      .addOrderBy('j.id', 'DESC')
      .limit(query.limit + 1)
      .getMany();
    const jobs = page.slice(0, query.limit);
    return { jobs: jobs.map(toView), nextCursor: page.length > query.limit ? jobs[jobs.length - 1].id : null };
  }

  /** The job's answers in input order, read from Postgres a page at a time. */
  async *results(principal: Principal, id: string): AsyncGenerator<{ index: number; status: number | null; state: string; output?: unknown; error?: string; pool?: string; workerId?: string }> {
    const job = await this.job(principal, id);
    if (job.expiredAt) throw BatchError.expired(id, job.expiredAt);
    for (let after = -1; ;) {
      const page = await this.rowsOf(job)
        .getRepository(BatchRowEntity)
        .createQueryBuilder('r')
        .select(['r.idx', 'r.state', 'r.output', 'r.status', 'r.error', 'r.pool', 'r.workerId'])
        .where('r.job_id = :id AND r.idx > :after', { id, after })
        .orderBy('r.idx', 'ASC')
        .limit(1000)
        .getMany();
      if (page.length === 0) return;
      for (const row of page) {
        yield {
          index: row.idx,
          state: row.state,
          status: row.status,
          ...(row.output ? { output: row.output } : {}),
          ...(row.error ? { error: row.error } : {}),
          // Where it ran: the pool (always the job's residency region) and the worker that answered.
          ...(row.pool ? { pool: row.pool } : {}),
          ...(row.workerId ? { workerId: row.workerId } : {}),
        };
      }
      after = page[page.length - 1].idx;
    }
  }

  async cancel(principal: Principal, id: string): Promise<JobView> {
    const job = await this.job(principal, id);
    if (TERMINAL_STATES.includes(job.state)) throw BatchError.finished(id, job.state);
    await this.db.getRepository(BatchJobEntity).update({ id, state: job.state }, { state: 'cancelled', finishedAt: new Date() });
    for (const chunk of await this.db.getRepository(BatchChunkEntity).findBy({ jobId: id, state: 'pending' })) {
      await this.queues.remove(id, chunk.chunk, chunk.attempt);
    }
    return this.get(principal, id);
  }

  /**
   * Writes a chunk's answers and their audit rows in one transaction of the job's region store:
   * only rows still pending take their answer, and only those get their audit row (the event ids
   * are the rows' own as well), so a row is answered and audited exactly once however often its
   * chunk ran. The job's record (in the catalog) then takes its counts from its rows (settle).
   * Returns false when the job has ended (cancelled, failed fast): its runner stops.
   */
  async applyResults(job: Pick<BatchJobEntity, 'id' | 'residency'>, chunk: number, answers: RowAnswer[]): Promise<boolean> {
    if (answers.length === 0) return true;
    if (!(await this.openJob(job.id))) return false;
    const store = this.rowsOf(job);
    await this.audit.preparePartitions(
      store,
      answers.map((a) => a.audit.residencyRegion),
    );
    const tally = await store.transaction(async (tx) => {
      // One transaction at a time per job: each tally below then counts every row answered before
      // it (read committed), so the last chunk to finish sees the whole job done.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`falaj:job-rows:${job.id}`]);
      const params: unknown[] = [job.id];
      const values = answers.map((r) => {
        const cells = [r.index, r.ok ? 'done' : 'failed', r.ok ? JSON.stringify(r.response) : null, r.ok ? 200 : r.status, r.ok ? null : r.error, r.pool, r.workerId];
        return `(${cells.map((c) => `$${params.push(c)}`).join(', ')})`;
      });
      const raw: unknown = await tx.query(
        `UPDATE batch_rows AS r SET state = v.state, output = v.output::jsonb, status = v.status::int, error = v.error, pool = v.pool, worker_id = v.worker_id
           FROM (VALUES ${values.join(', ')}) AS v(idx, state, output, status, error, pool, worker_id)
          WHERE r.job_id = $1 AND r.idx = v.idx::int AND r.state = 'pending'
          RETURNING r.idx, r.state`,
        params,
      );
      // TypeORM hands an UPDATE … RETURNING back as [rows, count].
      const updated = (Array.isArray(raw) && Array.isArray(raw[0]) ? raw[0] : raw) as { idx: number; state: string }[];
      const answered = new Set(updated.map((r) => r.idx));
      await this.audit.insertWithin(
        tx,
        answers.filter((a) => answered.has(a.index)).map((a) => a.audit),
      );
      return { ...(await this.tally(tx, job.id, chunk)), failedNow: updated.filter((r) => r.state === 'failed').length };
    });
    return this.settle(job.id, chunk, tally);
  }

  /**
   * A chunk found with no row pending: its job's record made good from its rows, for a registry
   * that died between applyResults' two transactions (the chunk is run again and finds nothing to do).
   */
  async settleChunk(job: Pick<BatchJobEntity, 'id' | 'residency'>, chunk: number): Promise<void> {
    await this.settle(job.id, chunk, { ...(await this.tally(this.rowsOf(job), job.id, chunk)), failedNow: 0 });
  }

  /** The job's rows answered (and failed) so far, and its chunk's rows still pending, in its store. */
  private async tally(sql: Pick<EntityManager, 'query'>, jobId: string, chunk: number): Promise<{ processed: number; failed: number; chunkLeft: number }> {
    const [tally]: { processed: number; failed: number; chunkLeft: number }[] = await sql.query(
      `SELECT (count(*) FILTER (WHERE state <> 'pending'))::int AS processed, (count(*) FILTER (WHERE state = 'failed'))::int AS failed,
              (count(*) FILTER (WHERE state = 'pending' AND chunk = $2))::int AS "chunkLeft"
         FROM batch_rows WHERE job_id = $1`,
      [jobId, chunk],
    );
    return tally;
  }

  /**
   * The job's record (catalog) takes its counts from its rows — counted, not added to, so a
   * record left behind by a registry that died after the rows' transaction is made good by the
   * next — and ends when every row is answered. False when the job has ended.
   */
  private settle(jobId: string, chunk: number, tally: { processed: number; failed: number; chunkLeft: number; failedNow: number }): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const record = await tx.getRepository(BatchJobEntity).createQueryBuilder('j').setLock('pessimistic_write').where({ id: jobId }).getOne();
      // A chunk with no row pending is done whatever its job's state: chunks answered at the same
      // moment settle in any order, and the one that ends the job may settle before this one.
      if (record && tally.chunkLeft === 0) await tx.getRepository(BatchChunkEntity).update({ jobId, chunk }, { state: 'done' });
      if (!record || TERMINAL_STATES.includes(record.state)) return false;
      // Never back: a later chunk's settle may have run first with a larger count.
      record.processed = Math.max(record.processed, tally.processed);
      record.failed = Math.max(record.failed, tally.failed);
      record.startedAt ??= new Date();
      record.state = 'running';
      record.waiting = null;
      if (record.failFast && tally.failedNow > 0) Object.assign(record, { state: 'failed', error: `a row failed and the job is fail-fast`, finishedAt: new Date() });
      else if (record.processed >= record.total) Object.assign(record, { state: 'completed', finishedAt: new Date() });
      await tx.getRepository(BatchJobEntity).save(record);
      return !TERMINAL_STATES.includes(record.state);
    });
  }

  /** A job still running, for its runner; null once it has ended or is gone. */
  async openJob(jobId: string): Promise<BatchJobEntity | null> {
    const job = await this.db.getRepository(BatchJobEntity).findOneBy({ id: jobId });
    return job && !TERMINAL_STATES.includes(job.state) ? job : null;
  }

  /** The chunk's rows not answered yet, in input order. */
  async pendingRows(job: Pick<BatchJobEntity, 'id' | 'residency'>, chunk: number): Promise<{ idx: number; input: object | null }[]> {
    return this.rowsOf(job)
      .getRepository(BatchRowEntity)
      .find({ select: { idx: true, input: true }, where: { jobId: job.id, chunk, state: 'pending' }, order: { idx: 'ASC' } });
  }

  /** The store of the job's rows: its region's. */
  rowsOf(job: Pick<BatchJobEntity, 'residency'>): DataSource {
    return this.stores.forRegion(jobRegion(job));
  }

  /** Says (or stops saying) on the job why it waits; a job that ended keeps what it said. */
  async setWaiting(jobId: string, reason: string | null): Promise<void> {
    await this.db.query(`UPDATE batch_jobs SET waiting = $2 WHERE id = $1 AND state = ANY($3) AND waiting IS DISTINCT FROM $2`, [jobId, reason, IN_FLIGHT]);
  }

  /** Puts a pending chunk (back) on the queue at its job's priority; its rows stay in Postgres. */
  async enqueue(job: Pick<BatchJobEntity, 'id' | 'priority'>, chunk: BatchChunkEntity): Promise<void> {
    await this.queues.enqueue({ jobId: job.id, chunk: chunk.chunk }, chunk.attempt, job.priority);
    await this.db.getRepository(BatchChunkEntity).update({ jobId: job.id, chunk: chunk.chunk }, { enqueuedAt: new Date() });
  }

  private async job(principal: Principal, id: string): Promise<BatchJobEntity> {
    const job = await this.db.getRepository(BatchJobEntity).findOneBy({ id, tenantId: principal.tenantId });
    if (!job) throw BatchError.notFound(id);
    return job;
  }

  private async insertRows(tx: EntityManager, rows: Partial<BatchRowEntity>[]): Promise<Partial<BatchRowEntity>[]> {
    if (rows.length > 0) await tx.getRepository(BatchRowEntity).insert(rows);
    return [];
  }
}

export function toView(job: BatchJobEntity): JobView {
  const elapsed = job.startedAt ? (Date.now() - job.startedAt.getTime()) / 1000 : 0;
  const rate = elapsed > 0 ? job.processed / elapsed : 0;
  const terminal = TERMINAL_STATES.includes(job.state);
  return {
    id: job.id,
    kind: job.kind,
    model: job.model,
    version: job.version,
    state: job.state,
    priority: job.priority,
    total: job.total,
    processed: job.processed,
    failed: job.failed,
    error: job.error,
    waiting: terminal ? null : job.waiting,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    expiredAt: job.expiredAt,
    etaSeconds: terminal ? 0 : rate > 0 ? Math.round((job.total - job.processed) / rate) : null,
  };
}
