import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ModelEntity } from './model.entity';
import type { DeploymentSpec } from './deployment-spec';

/** Every spec a model's deployment has had, in order; a null spec records a removal. */
@Entity({ name: 'deployment_revisions' })
export class DeploymentRevisionEntity {
  @PrimaryColumn({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  /** The model owns the row: it goes when the model does (foreign key by migration 1765360000000). */
  @ManyToOne(() => ModelEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'model_id', foreignKeyConstraintName: 'deployment_revisions_model_fk' })
  model?: ModelEntity;

  @PrimaryColumn({ type: 'int' })
  revision!: number;

  @Column({ type: 'jsonb', nullable: true })
  spec!: DeploymentSpec | null;

  @Column({ type: 'text', default: '' })
  reason!: string;

  @Column({ type: 'varchar', length: 200 })
  actor!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
