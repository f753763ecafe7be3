import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { ModelQuotaRecord, PayloadLogging } from '@falaj/contracts';

@Entity({ name: 'models' })
@Index('models_tenant_name_uq', ['tenantId', 'name'], { unique: true })
// GIN index on labels, built by the migration (TypeORM cannot describe its method).
@Index('models_labels_idx', { synchronize: false })
export class ModelEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 63 })
  tenantId!: string;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  /** Free-form key/value labels (`team: ocr`), filterable in listings. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  labels!: Record<string, string>;

  /** Who answers for the model (a person or team); distinct from who created the record. */
  @Column({ type: 'varchar', length: 200, default: '' })
  owner!: string;

  /** Its own token bucket (admin API), beside the tenant's; null: the gateways' FALAJ_QUOTAS applies. */
  @Column({ type: 'jsonb', nullable: true })
  quota!: ModelQuotaRecord | null;

  /** Its own payload-logging policy, over the tenant's; null: the tenant's applies. */
  @Column({ name: 'payload_logging', type: 'varchar', length: 16, nullable: true })
  payloadLogging!: PayloadLogging | null;

  @Column({ name: 'created_by', type: 'varchar', length: 200 })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
