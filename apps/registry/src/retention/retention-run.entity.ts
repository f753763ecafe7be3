import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** What one pass removed of one tenant's records of one kind. */
export interface RetentionRemoval {
  tenantId: string;
  kind: 'audit' | 'payloads' | 'jobs';
  /** Audit rows deleted (beyond those in dropped partitions), payload records deleted, or job rows (inputs and results) deleted. */
  rowsDeleted: number;
  /** For `jobs`: the jobs marked expired. */
  jobsExpired?: number;
  /** The region store the rows were deleted from (`catalog`, or its database's name); absent in runs before regional stores. */
  store?: string;
}

/** A month of one region's audit rows dropped whole; its rows are Postgres' estimate (they are not counted one by one). */
export interface DroppedPartition {
  table: string;
  month: string;
  rowsEstimate: number;
  /** The region store it was dropped from (see RetentionRemoval.store). */
  store?: string;
}

export const RETENTION_RUN_STATES = ['running', 'completed', 'failed'] as const;
export type RetentionRunState = (typeof RETENTION_RUN_STATES)[number];

/** One retention pass: when, on whose trigger, and what it removed (docs/audit.md#retention). */
@Entity({ name: 'retention_runs' })
@Index('retention_runs_started_idx', ['startedAt'])
export class RetentionRunEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  trigger!: 'schedule' | 'admin';

  /** The registry that ran it (FALAJ_REGISTRY_ID). */
  @Column({ type: 'varchar', length: 200 })
  instance!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: RetentionRunState;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  removed!: RetentionRemoval[];

  @Column({ name: 'partitions_dropped', type: 'jsonb', default: () => "'[]'" })
  partitionsDropped!: DroppedPartition[];

  /** Month partitions made ahead by the pass. */
  @Column({ name: 'partitions_created', type: 'jsonb', default: () => "'[]'" })
  partitionsCreated!: string[];

  @Column({ type: 'text', nullable: true })
  error!: string | null;
}
