import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An OAuth2 client of the built-in issuer (a service account): a tenant's application, an
 * operator of the platform, or one of the platform's own apps (`_platform`). Only the sha256 of
 * its secret is kept; the secret is shown once, at creation.
 */
@Entity({ name: 'oauth_clients' })
@Index('oauth_clients_tenant_idx', ['tenantId'])
export class OAuthClientEntity {
  @PrimaryColumn({ name: 'client_id', type: 'varchar', length: 100 })
  clientId!: string;

  /** The tenant it acts for, or `_platform` for operators and the platform's apps. */
  @Column({ name: 'tenant_id', type: 'varchar', length: 63 })
  tenantId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ name: 'secret_sha256', type: 'char', length: 64 })
  secretSha256!: string;

  /** The most its tokens may carry; a token request may ask for fewer. */
  @Column({ type: 'jsonb' })
  scopes!: string[];

  /** Who made it: an admin's subject, or `bootstrap` for accounts from the operator's file. */
  @Column({ name: 'created_by', type: 'varchar', length: 200 })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Once set: no new tokens, and every token issued before it is refused within seconds. */
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
