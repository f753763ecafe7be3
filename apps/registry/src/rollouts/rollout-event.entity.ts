import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { RolloutEvent, VersionMetrics } from '@falaj/contracts';

/** Every step of a rollout, as it was published on Kafka: the rollout's own history. */
@Entity({ name: 'rollout_events' })
@Index('rollout_events_rollout_idx', ['rolloutId', 'id'])
export class RolloutEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'rollout_id', type: 'uuid' })
  rolloutId!: string;

  @Column({ type: 'varchar', length: 32 })
  type!: RolloutEvent['type'];

  @Column({ type: 'int' })
  step!: number;

  @Column({ name: 'canary_weight', type: 'int' })
  canaryWeight!: number;

  @Column({ type: 'jsonb', nullable: true })
  canary!: VersionMetrics | null;

  @Column({ type: 'jsonb', nullable: true })
  baseline!: VersionMetrics | null;

  @Column({ type: 'text', default: '' })
  reason!: string;

  @Column({ type: 'varchar', length: 200 })
  actor!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;
}
