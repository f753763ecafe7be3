import type { SignatureAlgorithm } from '@falaj/contracts';
import { Column, CreateDateColumn, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import type { ModelVersionEntity } from '../catalog';

/** The detached signature a version was uploaded with, verified then; kept so every worker verifies it again. */
@Entity({ name: 'artifact_signatures' })
export class ArtifactSignatureEntity {
  /** model_versions.id: one signature per version. */
  @PrimaryColumn({ name: 'version_id', type: 'uuid' })
  versionId!: string;

  /**
   * The version owns the row: it goes when the version does (foreign key by migration 1765370000000).
   * Named, not imported: the catalog's entities stay inside the catalog.
   */
  @OneToOne('ModelVersionEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'version_id', foreignKeyConstraintName: 'artifact_signatures_version_fk' })
  version?: ModelVersionEntity;

  @Column({ name: 'key_id', type: 'varchar', length: 64 })
  keyId!: string;

  @Column({ type: 'varchar', length: 32 })
  algorithm!: SignatureAlgorithm;

  /** base64. */
  @Column({ type: 'text' })
  signature!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
