import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { PayloadTensor } from '@falaj/contracts';

/**
 * One call's payload, as its tenant's (or model's) policy keeps it, beside its audit row (same
 * event id). A table of its own rather than a column on `audit_log`: only the calls of tenants
 * that log payloads have a row, the audit rows every listing and the rollout analysis scan stay
 * small, and a payload can be erased or expire on its own terms while the call's audit row stays.
 * Partitioned by residency region (LIST) as `audit_log` is, so a `full` payload lives only in
 * its tenant's region partition.
 */
@Entity({ name: 'payload_log' })
@Index('payload_log_tenant_time_idx', ['tenantId', 'occurredAt'])
export class PayloadLogEntity {
  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @PrimaryColumn({ name: 'residency_region', type: 'varchar', length: 32 })
  residencyRegion!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 63 })
  tenantId!: string;

  @Column({ type: 'varchar', length: 128 })
  model!: string;

  @Column({ type: 'int', nullable: true })
  version!: number | null;

  /** hash | redact | full */
  @Column({ type: 'varchar', length: 16 })
  policy!: string;

  @Column({ type: 'jsonb' })
  request!: PayloadTensor[];

  @Column({ type: 'jsonb' })
  response!: PayloadTensor[];

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;
}
