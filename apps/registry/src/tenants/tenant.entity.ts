import type { TenantQuotaRecord } from '@falaj/contracts';
import type { PayloadLogging } from './tenants.dto';
import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'tenants' })
export class TenantEntity {
  /** A slug chosen at creation (`acme`); appears in tokens and audit rows. */
  @PrimaryColumn({ type: 'varchar', length: 63 })
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** Region the tenant's data must stay in (`ae`); bounds where its requests run. */
  @Column({ type: 'varchar', length: 32 })
  residency!: string;

  /** How much of each request's payload the audit log may keep. */
  @Column({ name: 'payload_logging', type: 'varchar', length: 16, default: 'none' })
  payloadLogging!: PayloadLogging;

  /** A call whose audit event cannot be made durable is refused rather than served (README: The audit spool). */
  @Column({ name: 'must_audit', type: 'boolean', default: false })
  mustAudit!: boolean;

  /** Its quota record (admin API); null: the gateways' FALAJ_QUOTAS applies. */
  @Column({ type: 'jsonb', nullable: true })
  quota!: TenantQuotaRecord | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
