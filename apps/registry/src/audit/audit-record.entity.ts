import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One row per inference call, keyed by the audit event's id: the client's request id is not
 * unique (two callers, or two tenants, may send the same one). The table is partitioned by
 * residency region (LIST), so each region's rows live, and can be kept or dropped, apart, and
 * each region's by month of occurred_at (RANGE), so what expired goes by dropping a month — see
 * the migrations and audit-partition.policy. occurred_at is in the key because Postgres wants
 * every partitioning column there.
 */
@Entity({ name: 'audit_log' })
// Created DESC on occurred_at and event_id by the migrations: the audit API's keyset, newest first,
// within a tenant and (the platform admin's) across them.
@Index('audit_log_tenant_time_idx', ['tenantId', 'occurredAt', 'eventId'])
@Index('audit_log_time_idx', ['occurredAt', 'eventId'])
// A model version's answers over a time window: the rollout analysis reads these.
@Index('audit_log_version_time_idx', ['tenantId', 'model', 'version', 'occurredAt'])
// The audit listing's `requestId` filter, within the caller's tenant.
@Index('audit_log_tenant_request_idx', ['tenantId', 'requestId'])
export class AuditRecordEntity {
  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ name: 'request_id', type: 'varchar', length: 200 })
  requestId!: string;

  @PrimaryColumn({ name: 'residency_region', type: 'varchar', length: 32 })
  residencyRegion!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 63 })
  tenantId!: string;

  @Column({ type: 'varchar', length: 200 })
  subject!: string;

  @Column({ type: 'varchar', length: 128 })
  model!: string;

  @Column({ type: 'int', nullable: true })
  version!: number | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  pool!: string | null;

  @Column({ type: 'varchar', length: 16 })
  protocol!: string;

  @Column({ type: 'int' })
  status!: number;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'latency_ms', type: 'double precision' })
  latencyMs!: number;

  @Column({ name: 'served_region', type: 'varchar', length: 32, nullable: true })
  servedRegion!: string | null;

  /** Why the request ran on its pool (`cheapest: gpu.ae ~3 ms …`, `fixed: deployment hardware cpu`); null when it was not placed. */
  @Column({ type: 'text', nullable: true })
  placement!: string | null;

  @PrimaryColumn({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;
}
