import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The built-in OAuth2 issuer: its clients (service accounts, secrets hashed), its ES256 signing
 * keys (private keys encrypted), and the tokens revoked before their expiry.
 */
export class OAuthIssuer1764950000000 implements MigrationInterface {
  name = 'OAuthIssuer1764950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "oauth_clients" (
      "client_id" character varying(100) NOT NULL,
      "tenant_id" character varying(63) NOT NULL,
      "name" character varying(200) NOT NULL,
      "secret_sha256" character(64) NOT NULL,
      "scopes" jsonb NOT NULL,
      "created_by" character varying(200) NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "revoked_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "PK_oauth_clients" PRIMARY KEY ("client_id"))`);
    await q.query(`CREATE INDEX "oauth_clients_tenant_idx" ON "oauth_clients" ("tenant_id")`);
    await q.query(`CREATE TABLE "signing_keys" (
      "kid" character varying(64) NOT NULL,
      "algorithm" character varying(16) NOT NULL,
      "public_jwk" jsonb NOT NULL,
      "private_key_encrypted" text NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "activates_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      CONSTRAINT "PK_signing_keys" PRIMARY KEY ("kid"))`);
    await q.query(`CREATE TABLE "revoked_tokens" (
      "jti" character varying(64) NOT NULL,
      "client_id" character varying(100) NOT NULL,
      "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      CONSTRAINT "PK_revoked_tokens" PRIMARY KEY ("jti"))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "revoked_tokens"`);
    await q.query(`DROP TABLE "signing_keys"`);
    await q.query(`DROP INDEX "oauth_clients_tenant_idx"`);
    await q.query(`DROP TABLE "oauth_clients"`);
  }
}
