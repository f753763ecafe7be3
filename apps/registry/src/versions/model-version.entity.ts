import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ModelSignature, ModelStage } from '@falaj/contracts';

@Entity({ name: 'model_versions' })
@Index('model_versions_model_version_uq', ['modelId', 'version'], { unique: true })
export class ModelVersionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  @Column({ type: 'int' })
  version!: number;

  @Column({ type: 'varchar', length: 16, default: 'draft' })
  stage!: ModelStage;

  @Column({ type: 'char', length: 64 })
  sha256!: string;

  @Column({ name: 'size_bytes', type: 'bigint', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  sizeBytes!: number;

  @Column({ type: 'jsonb' })
  signature!: ModelSignature;

  @Column({ name: 'created_by', type: 'varchar', length: 200 })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'stage_changed_at', type: 'timestamptz', nullable: true })
  stageChangedAt!: Date | null;

  @Column({ name: 'stage_changed_by', type: 'varchar', length: 200, nullable: true })
  stageChangedBy!: string | null;
}
