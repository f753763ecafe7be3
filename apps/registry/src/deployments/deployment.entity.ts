import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { DeploymentSpec } from './deployment-spec.schema';

/** A model's current deployment spec (one per model); its history is in deployment_revisions. */
@Entity({ name: 'deployments' })
export class DeploymentEntity {
  @PrimaryColumn({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  @Column({ type: 'int' })
  revision!: number;

  @Column({ type: 'jsonb' })
  spec!: DeploymentSpec;

  @Column({ name: 'updated_by', type: 'varchar', length: 200 })
  updatedBy!: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
