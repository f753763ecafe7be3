import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const SIGNING_ACTIONS = ['policy.set', 'key.added', 'key.revoked', 'upload.refused', 'load.refused'] as const;
export type SigningAction = (typeof SIGNING_ACTIONS)[number];

/**
 * The signing audit: every change to a tenant's trusted keys or policy, and every artifact
 * refused for its signature (at upload, or by a worker at load), with who and why. Append-only.
 */
@Entity({ name: 'signing_events' })
@Index('signing_events_tenant_time_idx', ['tenantId', 'occurredAt'])
export class SigningEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 63 })
  tenantId!: string;

  @Column({ type: 'varchar', length: 32 })
  action!: SigningAction;

  /** The token's subject: an administrator, an uploader, or the worker that refused a load. */
  @Column({ type: 'varchar', length: 200 })
  actor!: string;

  @Column({ type: 'varchar', length: 128, nullable: true })
  model!: string | null;

  @Column({ type: 'int', nullable: true })
  version!: number | null;

  @Column({ name: 'key_id', type: 'varchar', length: 64, nullable: true })
  keyId!: string | null;

  /** A refusal's code (`signature_invalid`…); a policy change's new value. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  code!: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  reason!: string | null;

  @CreateDateColumn({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;
}
