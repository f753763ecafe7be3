import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { RolloutState } from '@falaj/contracts';
import type { DeploymentSpec } from '../catalog';
import type { RolloutPlan } from './rollout-plan.schema';

/** One progressive rollout of a canary version; at most one active per model (a partial unique index). */
@Entity({ name: 'rollouts' })
@Index('rollouts_one_active_idx', ['modelId'], { unique: true, where: `"state" IN ('progressing', 'paused')` })
@Index('rollouts_model_time_idx', ['modelId', 'createdAt'])
export class RolloutEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 63 })
  tenantId!: string;

  @Column({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  @Column({ type: 'varchar', length: 128 })
  model!: string;

  @Column({ name: 'baseline_version', type: 'int' })
  baselineVersion!: number;

  @Column({ name: 'canary_version', type: 'int' })
  canaryVersion!: number;

  @Column({ type: 'jsonb' })
  plan!: RolloutPlan;

  /** The deployment before the rollout (null: there was none): what a rollback restores. */
  @Column({ name: 'baseline_spec', type: 'jsonb', nullable: true })
  baselineSpec!: DeploymentSpec | null;

  @Column({ type: 'varchar', length: 16 })
  state!: RolloutState;

  @Column({ type: 'int' })
  step!: number;

  @Column({ name: 'step_started_at', type: 'timestamptz' })
  stepStartedAt!: Date;

  /** The deployment revision the rollout wrote last; another revision means someone else changed it. */
  @Column({ name: 'deployment_revision', type: 'int' })
  deploymentRevision!: number;

  /** Why the rollout is where it is (the latest verdict that changed something). */
  @Column({ type: 'text', default: '' })
  reason!: string;

  @Column({ name: 'created_by', type: 'varchar', length: 200 })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
