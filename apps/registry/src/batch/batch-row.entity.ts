import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One input row and, once answered, its output or its error. Answered once: pending → done|failed. */
@Entity({ name: 'batch_rows' })
export class BatchRowEntity {
  @PrimaryColumn({ name: 'job_id', type: 'uuid' })
  jobId!: string;

  @PrimaryColumn({ type: 'int' })
  idx!: number;

  @Column({ type: 'int' })
  chunk!: number;

  @Column({ type: 'varchar', length: 16 })
  state!: 'pending' | 'done' | 'failed';

  @Column({ type: 'jsonb', nullable: true })
  input!: object | null;

  @Column({ type: 'jsonb', nullable: true })
  output!: object | null;

  @Column({ type: 'int', nullable: true })
  status!: number | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** Where the row ran, once answered by a worker. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  pool!: string | null;

  @Column({ name: 'worker_id', type: 'varchar', length: 200, nullable: true })
  workerId!: string | null;
}
