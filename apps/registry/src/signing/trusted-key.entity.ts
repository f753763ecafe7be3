import type { SignatureAlgorithm } from '@falaj/contracts';
import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A public key a tenant trusts to sign its artifacts (admin API); revoked, it verifies nothing any more. */
@Entity({ name: 'trusted_keys' })
export class TrustedKeyEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 63 })
  tenantId!: string;

  /** The first 16 hex of the sha256 of its SPKI: the `<keyId>` of an upload's signature header. */
  @PrimaryColumn({ name: 'key_id', type: 'varchar', length: 64 })
  keyId!: string;

  @Column({ type: 'varchar', length: 32 })
  algorithm!: SignatureAlgorithm;

  /** SubjectPublicKeyInfo, DER, base64. */
  @Column({ name: 'public_key', type: 'text' })
  publicKey!: string;

  @Column({ name: 'created_by', type: 'varchar', length: 200 })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_by', type: 'varchar', length: 200, nullable: true })
  revokedBy!: string | null;
}
