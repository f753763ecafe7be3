import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A slice of a job's rows, enqueued as one BullMQ job; re-enqueued (next attempt) if it goes missing. */
@Entity({ name: 'batch_chunks' })
@Index('batch_chunks_pending_idx', ['state', 'enqueuedAt'])
export class BatchChunkEntity {
  @PrimaryColumn({ name: 'job_id', type: 'uuid' })
  jobId!: string;

  @PrimaryColumn({ type: 'int' })
  chunk!: number;

  @Column({ type: 'varchar', length: 16 })
  state!: 'pending' | 'done';

  @Column({ type: 'int', default: 0 })
  attempt!: number;

  @Column({ name: 'enqueued_at', type: 'timestamptz', nullable: true })
  enqueuedAt!: Date | null;
}
