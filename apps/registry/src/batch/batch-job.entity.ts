import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { BatchJobState } from './batch-job.states';

/** A batch job (or an async single inference, `kind = 'async'`): the source of truth of its progress. */
@Entity({ name: 'batch_jobs' })
// A tenant's jobs newest first, keyset on (created_at, id): the list (scanned backwards), and what the older (tenant, created_at) index served.
@Index('batch_jobs_tenant_created_id_idx', ['tenantId', 'createdAt', 'id'])
// The retention pass's candidates: a tenant's ended jobs whose rows are still kept.
@Index('batch_jobs_retention_idx', ['tenantId', 'finishedAt'], { where: '"expired_at" IS NULL' })
export class BatchJobEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 63 })
  tenantId!: string;

  @Column({ type: 'varchar', length: 8 })
  kind!: 'batch' | 'async';

  @Column({ type: 'varchar', length: 128 })
  model!: string;

  @Column({ type: 'int' })
  version!: number;

  /** The pool its rows are placed on: the target's hardware in the submitter's residency region. */
  @Column({ type: 'varchar', length: 64 })
  pool!: string;

  /** The submitter's residency, as its token said: every row is placed in it (null: none, the target's pool). */
  @Column({ type: 'varchar', length: 32, nullable: true })
  residency!: string | null;

  /** Why the job waits (its tenant's quota, no ready worker), while it does; null once rows flow. */
  @Column({ type: 'text', nullable: true })
  waiting!: string | null;

  @Column({ type: 'varchar', length: 16 })
  state!: BatchJobState;

  /** BullMQ priority: 1 is the highest. */
  @Column({ type: 'int' })
  priority!: number;

  @Column({ name: 'fail_fast', type: 'boolean' })
  failFast!: boolean;

  @Column({ name: 'chunk_size', type: 'int' })
  chunkSize!: number;

  @Column({ type: 'int' })
  total!: number;

  @Column({ type: 'int', default: 0 })
  processed!: number;

  @Column({ type: 'int', default: 0 })
  failed!: number;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** Bytes of the job's input as sent: they count against the tenant's batch byte limit while the job is in flight. */
  @Column({ name: 'input_bytes', type: 'bigint', default: 0, transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  inputBytes!: number;

  @Column({ name: 'created_by', type: 'varchar', length: 200 })
  createdBy!: string;

  /**
   * The submission's trace context (W3C traceparent, checked and written anew by the tracer;
   * null when nobody traced it): each row's span is its child, so a job is one trace. Its
   * sampled flag decides for every row, however long the job runs.
   */
  @Column({ type: 'varchar', length: 55, nullable: true })
  traceparent!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  /** When retention deleted its rows (inputs and results) and chunks; its results are 410 since. */
  @Column({ name: 'expired_at', type: 'timestamptz', nullable: true })
  expiredAt!: Date | null;
}
