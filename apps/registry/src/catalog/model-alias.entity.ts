import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { ModelEntity } from './model.entity';

/** A name (`champion`) pointing at one version of a model; moved, never versioned. */
@Entity({ name: 'model_aliases' })
export class ModelAliasEntity {
  @PrimaryColumn({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  /** The model owns the row: it goes when the model does (foreign key by migration 1765360000000). */
  @ManyToOne(() => ModelEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'model_id', foreignKeyConstraintName: 'model_aliases_model_fk' })
  model?: ModelEntity;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  alias!: string;

  @Column({ type: 'int' })
  version!: number;

  @Column({ name: 'updated_by', type: 'varchar', length: 200 })
  updatedBy!: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
