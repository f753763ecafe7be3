import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A name (`champion`) pointing at one version of a model; moved, never versioned. */
@Entity({ name: 'model_aliases' })
export class ModelAliasEntity {
  @PrimaryColumn({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  alias!: string;

  @Column({ type: 'int' })
  version!: number;

  @Column({ name: 'updated_by', type: 'varchar', length: 200 })
  updatedBy!: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
