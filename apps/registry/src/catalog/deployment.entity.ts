import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { ModelEntity } from './model.entity';
import type { DeploymentSpec } from './deployment-spec';

/** A model's current deployment spec (one per model); its history is in deployment_revisions. */
@Entity({ name: 'deployments' })
export class DeploymentEntity {
  @PrimaryColumn({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  /** The model owns the row: it goes when the model does (foreign key by migration 1765360000000). */
  @ManyToOne(() => ModelEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'model_id', foreignKeyConstraintName: 'deployments_model_fk' })
  model?: ModelEntity;

  @Column({ type: 'int' })
  revision!: number;

  @Column({ type: 'jsonb' })
  spec!: DeploymentSpec;

  @Column({ name: 'updated_by', type: 'varchar', length: 200 })
  updatedBy!: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
