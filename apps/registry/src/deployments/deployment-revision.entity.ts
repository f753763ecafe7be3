import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { DeploymentSpec } from './deployment-spec.schema';

/** Every spec a model's deployment has had, in order; a null spec records a removal. */
@Entity({ name: 'deployment_revisions' })
export class DeploymentRevisionEntity {
  @PrimaryColumn({ name: 'model_id', type: 'uuid' })
  modelId!: string;

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
