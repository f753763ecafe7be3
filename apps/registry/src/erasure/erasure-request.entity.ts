import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** What one erasure removed. */
export interface ErasureCounts {
  auditRows: number;
  payloadRows: number;
  jobs: number;
  jobRows: number;
  /** The subject's jobs still queued or running: not erased (cancel them, then erase again). */
  jobsNotEnded: number;
  /** The same counts store by store (region stores: docs/audit.md#regional-audit-stores-each-regions-audit-in-its-own-database), with the regions each holds; absent in erasures before regional stores. */
  stores?: ErasureStoreCounts[];
}

export interface ErasureStoreCounts {
  /** `catalog`, or the store's database name. */
  store: string;
  /** The regions whose rows the store holds (`*`: every region, no FALAJ_REGION_STORES). */
  regions: string[];
  auditRows: number;
  payloadRows: number;
  jobRows: number;
}

/**
 * The record of an erasure, kept so that a compliance officer can show it happened: who asked,
 * when, in which tenant, and what was removed. It never holds what it erased: the subject only as
 * a keyed hash (HMAC-SHA256, a key derived from FALAJ_KEY_ENCRYPTION_KEY), so the same subject's
 * erasures can be found again by a platform admin who is told the subject, by no one else.
 */
@Entity({ name: 'erasure_requests' })
@Index('erasure_requests_tenant_idx', ['tenantId', 'requestedAt'])
export class ErasureRequestEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 63 })
  tenantId!: string;

  @Column({ name: 'requested_by', type: 'varchar', length: 200 })
  requestedBy!: string;

  @Column({ name: 'subject_hash', type: 'varchar', length: 64, nullable: true })
  subjectHash!: string | null;

  @Column({ name: 'request_ids', type: 'int' })
  requestIds!: number;

  @Column({ type: 'jsonb' })
  counts!: ErasureCounts;

  @CreateDateColumn({ name: 'requested_at', type: 'timestamptz' })
  requestedAt!: Date;
}
