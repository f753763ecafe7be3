import type { PayloadLogging, TenantQuotaRecord } from '@falaj/contracts';
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

  /** How much of each call's payload is kept (none | hash | redact | full; docs/audit.md#payload-logging-by-policy); a model may override it. */
  @Column({ name: 'payload_logging', type: 'varchar', length: 16, default: 'none' })
  payloadLogging!: PayloadLogging;

  /** A call whose audit event cannot be made durable is refused rather than served (docs/audit.md#the-audit-spool-durable-never-dropped-silently). */
  @Column({ name: 'must_audit', type: 'boolean', default: false })
  mustAudit!: boolean;

  /** Every upload must carry a signature by one of its trusted keys, verified again by every worker (signing module). */
  @Column({ name: 'require_signatures', type: 'boolean', default: false })
  requireSignatures!: boolean;

  /** Its quota record (admin API); null: the gateways' FALAJ_QUOTAS applies. */
  @Column({ type: 'jsonb', nullable: true })
  quota!: TenantQuotaRecord | null;

  /** Days its audit rows are kept; null: FALAJ_AUDIT_RETENTION_DAYS (retention module). */
  @Column({ name: 'audit_retention_days', type: 'int', nullable: true })
  auditRetentionDays!: number | null;

  /** Days an ended job's rows (inputs and results) are kept; null: FALAJ_JOB_RETENTION_DAYS. */
  @Column({ name: 'job_retention_days', type: 'int', nullable: true })
  jobRetentionDays!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
