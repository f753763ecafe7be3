import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '@falaj/auth';
import type { BatchChunkResult } from '@falaj/contracts';
import { createRedis } from '@falaj/messaging';
import { RoutingTableReader, resolveTarget } from '@falaj/routing';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { BatchChunkEntity } from './batch-chunk.entity';
import { BatchInputError, parseBatchInput } from './batch-input.parser';
import { BatchJobEntity, TERMINAL_STATES } from './batch-job.entity';
import { BatchQueues } from './batch-queues';
import { BatchRowEntity } from './batch-row.entity';
import { BatchError } from './batch.exception';
import type { SubmitJobQuery } from './batch.dto';

const INSERT_ROWS_AT_ONCE = 500;
const LIMITS = { maxRows: 1_000_000, maxLineBytes: 4 * 1024 * 1024 };

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
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Seconds left at the rate seen so far; null until there is a rate. */
  etaSeconds: number | null;
}

/**
 * Batch and async inference jobs. Postgres holds each job, its chunks and its rows; BullMQ only
 * carries chunks to the pool's workers. Rows are answered once (pending → done|failed), so a
 * chunk that runs twice — a crashed worker, a lost queue — changes nothing the second time.
 */
@Injectable()
export class BatchJobsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(BatchJobsService.name);
  private readonly routes: RoutingTableReader;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly queues: BatchQueues,
  ) {
    this.routes = new RoutingTableReader(
      createRedis(config.redisUrl, 'registry:routes'),
      createRedis(config.redisUrl, 'registry:routes-sub'),
      config.prefix,
    );
  }

  async onModuleInit(): Promise<void> {
    await this.routes.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.routes.stop();
  }

  async submit(principal: Principal, query: SubmitJobQuery, source: Readable, kind: 'batch' | 'async' = 'batch'): Promise<JobView> {
    const { route, target, signature } = resolveTarget(query.model, this.routes.lookup(principal.tenantId, query.model), query.version);
    const job = await this.db.transaction(async (tx) => {
      const created = await tx.getRepository(BatchJobEntity).save(
        tx.getRepository(BatchJobEntity).create({
          tenantId: principal.tenantId, kind, model: route.model, version: target.version, pool: target.pool,
          state: 'queued', priority: query.priority, failFast: query.failFast, chunkSize: query.chunkSize,
          total: 0, processed: 0, failed: 0, error: null, createdBy: principal.subject, startedAt: null, finishedAt: null,
        }),
      );
      let pending: Partial<BatchRowEntity>[] = [];
      const chunks = new Set<number>();
      let total = 0;
      let failed = 0;
      for await (const row of parseBatchInput(source, signature, LIMITS)) {
        total++;
        const chunk = Math.floor(row.index / query.chunkSize);
        if (row.ok) {
          chunks.add(chunk);
          pending.push({ jobId: created.id, idx: row.index, chunk, state: 'pending', input: row.request as object });
        } else {
          if (query.failFast) throw BatchError.badRow(row.index, row.error);
          failed++;
          pending.push({ jobId: created.id, idx: row.index, chunk, state: 'failed', status: 400, error: row.error });
        }
        if (pending.length >= INSERT_ROWS_AT_ONCE) pending = await this.insertRows(tx, pending);
      }
      await this.insertRows(tx, pending);
      Object.assign(created, { total, processed: failed, failed });
      if (chunks.size === 0) Object.assign(created, { state: 'completed', finishedAt: new Date() });
      await tx.getRepository(BatchJobEntity).save(created);
      await tx.getRepository(BatchChunkEntity).insert([...chunks].map((chunk) => ({ jobId: created.id, chunk, state: 'pending' as const, attempt: 0 })));
      return created;
    }).catch((error: unknown) => {
      if (error instanceof BatchInputError) throw new BatchError(400, error.message, 'bad_input');
      throw error;
    });
    for (const chunk of await this.db.getRepository(BatchChunkEntity).findBy({ jobId: job.id })) await this.enqueue(job, chunk);
    this.logger.log({ job: job.id, kind, model: job.model, version: job.version, rows: job.total, failed: job.failed }, 'batch job submitted');
    return toView(job);
  }

  async get(principal: Principal, id: string): Promise<JobView> {
    return toView(await this.job(principal, id));
  }

  /** The job's answers in input order, read from Postgres a page at a time. */
  async *results(principal: Principal, id: string): AsyncGenerator<{ index: number; status: number | null; state: string; output?: unknown; error?: string }> {
    await this.job(principal, id);
    for (let after = -1; ; ) {
      const page = await this.db.getRepository(BatchRowEntity).createQueryBuilder('r')
        .select(['r.idx', 'r.state', 'r.output', 'r.status', 'r.error'])
        .where('r.job_id = :id AND r.idx > :after', { id, after })
        .orderBy('r.idx', 'ASC').limit(1000).getMany();
      if (page.length === 0) return;
      for (const row of page) {
        yield { index: row.idx, state: row.state, status: row.status, ...(row.output ? { output: row.output } : {}), ...(row.error ? { error: row.error } : {}) };
      }
      after = page[page.length - 1].idx;
    }
  }

  async cancel(principal: Principal, id: string): Promise<JobView> {
    const job = await this.job(principal, id);
    if (TERMINAL_STATES.includes(job.state)) throw BatchError.finished(id, job.state);
    await this.db.getRepository(BatchJobEntity).update({ id, state: job.state }, { state: 'cancelled', finishedAt: new Date() });
    for (const chunk of await this.db.getRepository(BatchChunkEntity).findBy({ jobId: id, state: 'pending' })) {
      await this.queues.remove(job.pool, id, chunk.chunk, chunk.attempt);
    }
    return this.get(principal, id);
  }

  /** Writes a chunk's answers; rows already answered are left as they are (answered once). */
  async applyResults(result: BatchChunkResult): Promise<void> {
    if (result.rows.length === 0) return;
    await this.db.transaction(async (tx) => {
      const job = await tx.getRepository(BatchJobEntity).createQueryBuilder('j').setLock('pessimistic_write').where({ id: result.jobId }).getOne();
      if (!job || TERMINAL_STATES.includes(job.state)) return;
      const params: unknown[] = [result.jobId];
      const values = result.rows.map((r) => {
        const cells = [r.index, r.ok ? 'done' : 'failed', r.ok ? JSON.stringify(r.response) : null, r.ok ? 200 : r.status, r.ok ? null : r.error];
        return `(${cells.map((c) => `$${params.push(c)}`).join(', ')})`;
      });
      const raw: unknown = await tx.query(
        `UPDATE batch_rows AS r SET state = v.state, output = v.output::jsonb, status = v.status::int, error = v.error
           FROM (VALUES ${values.join(', ')}) AS v(idx, state, output, status, error)
          WHERE r.job_id = $1 AND r.idx = v.idx::int AND r.state = 'pending'
          RETURNING r.state`,
        params,
      );
      // TypeORM hands an UPDATE … RETURNING back as [rows, count].
      const updated = (Array.isArray(raw) && Array.isArray(raw[0]) ? raw[0] : raw) as { state: string }[];
      const failed = updated.filter((r) => r.state === 'failed').length;
      job.processed += updated.length;
      job.failed += failed;
      job.startedAt ??= new Date();
      job.state = 'running';
      const [{ left }] = await tx.query(`SELECT count(*)::int AS left FROM batch_rows WHERE job_id = $1 AND chunk = $2 AND state = 'pending'`, [result.jobId, result.chunk]);
      if (left === 0) await tx.getRepository(BatchChunkEntity).update({ jobId: result.jobId, chunk: result.chunk }, { state: 'done' });
      if (job.failFast && failed > 0) Object.assign(job, { state: 'failed', error: `a row failed and the job is fail-fast`, finishedAt: new Date() });
      else if (job.processed >= job.total) Object.assign(job, { state: 'completed', finishedAt: new Date() });
      await tx.getRepository(BatchJobEntity).save(job);
    });
  }

  /** Puts a pending chunk (back) on its queue, with its rows read from Postgres. */
  async enqueue(job: Pick<BatchJobEntity, 'id' | 'tenantId' | 'model' | 'version' | 'pool' | 'priority'>, chunk: BatchChunkEntity): Promise<void> {
    const rows = await this.db.getRepository(BatchRowEntity).find({
      select: { idx: true, input: true },
      where: { jobId: job.id, chunk: chunk.chunk, state: 'pending' },
      order: { idx: 'ASC' },
    });
    if (rows.length === 0) {
      await this.db.getRepository(BatchChunkEntity).update({ jobId: job.id, chunk: chunk.chunk }, { state: 'done' });
      return;
    }
    await this.queues.enqueue(
      job.pool,
      { jobId: job.id, chunk: chunk.chunk, tenantId: job.tenantId, model: job.model, version: job.version, priority: job.priority, rows: rows.map((r) => ({ index: r.idx, request: r.input })) },
      chunk.attempt,
      job.priority,
    );
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
    id: job.id, kind: job.kind, model: job.model, version: job.version, state: job.state, priority: job.priority,
    total: job.total, processed: job.processed, failed: job.failed, error: job.error,
    createdAt: job.createdAt, startedAt: job.startedAt, finishedAt: job.finishedAt,
    etaSeconds: terminal ? 0 : rate > 0 ? Math.round((job.total - job.processed) / rate) : null,
  };
}
