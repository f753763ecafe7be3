import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ModelEntity } from './model.entity';
import type { ModelStage } from '@falaj/contracts';

/** One stage change of one version: who, when, from, to, why. Append-only. */
@Entity({ name: 'stage_transitions' })
@Index('stage_transitions_model_time_idx', ['modelId', 'occurredAt'])
export class StageTransitionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  /** The model owns the row: it goes when the model does (foreign key by migration 1765360000000). */
  @ManyToOne(() => ModelEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'model_id', foreignKeyConstraintName: 'stage_transitions_model_fk' })
  model?: ModelEntity;

  @Column({ type: 'int' })
  version!: number;

  /** Null for the version's first stage (registration as a draft). */
  @Column({ name: 'from_stage', type: 'varchar', length: 16, nullable: true })
  fromStage!: ModelStage | null;

  @Column({ name: 'to_stage', type: 'varchar', length: 16 })
  toStage!: ModelStage;

  @Column({ type: 'text', default: '' })
  reason!: string;

  @Column({ type: 'varchar', length: 200 })
  actor!: string;

  // clock_timestamp, not now(): several transitions of one transaction keep their order.
  @Column({ name: 'occurred_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  occurredAt!: Date;
}
