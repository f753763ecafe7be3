import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ModelEntity } from './model.entity';
import type { ModelSignature, ModelStage } from '@falaj/contracts';

@Entity({ name: 'model_versions' })
@Index('model_versions_model_version_uq', ['modelId', 'version'], { unique: true })
@Index('model_versions_sha256_idx', ['sha256'])
export class ModelVersionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  /** The model owns the row: it goes when the model does (foreign key by migration 1765360000000). */
  @ManyToOne(() => ModelEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'model_id', foreignKeyConstraintName: 'model_versions_model_fk' })
  model?: ModelEntity;

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

  /** Opset of the default ONNX domain, when the file declares one. */
  @Column({ type: 'int', nullable: true })
  opset!: number | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  producer!: string | null;

  /** Sum of the element counts of the graph's initializers. */
  @Column({ name: 'parameter_count', type: 'bigint', nullable: true, transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) } })
  parameterCount!: number | null;

  /** Where the version came from (source run, dataset, metrics): VersionLineageSchema at upload, stored as given. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  lineage!: Record<string, unknown>;

  @Column({ name: 'created_by', type: 'varchar', length: 200 })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'stage_changed_at', type: 'timestamptz', nullable: true })
  stageChangedAt!: Date | null;

  @Column({ name: 'stage_changed_by', type: 'varchar', length: 200, nullable: true })
  stageChangedBy!: string | null;
}
