import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed artifacts (issue 19, item 3): a tenant may require signatures; the keys it trusts; the
 * signature each version was uploaded with; and the signing audit. False for every tenant made before it.
 */
export class SignedArtifacts1765370000000 implements MigrationInterface {
  name = 'SignedArtifacts1765370000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "tenants" ADD "require_signatures" boolean NOT NULL DEFAULT false`);
    await q.query(`CREATE TABLE "trusted_keys" (
      "tenant_id" varchar(63) NOT NULL,
      "key_id" varchar(64) NOT NULL,
      "algorithm" varchar(32) NOT NULL,
      "public_key" text NOT NULL,
      "created_by" varchar(200) NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "revoked_at" timestamptz,
      "revoked_by" varchar(200),
      PRIMARY KEY ("tenant_id", "key_id"))`);
    // The version owns its signature: it goes when the version does (and so when its model does).
    await q.query(`CREATE TABLE "artifact_signatures" (
      "version_id" uuid PRIMARY KEY CONSTRAINT "artifact_signatures_version_fk" REFERENCES "model_versions" ("id") ON DELETE CASCADE,
      "key_id" varchar(64) NOT NULL,
      "algorithm" varchar(32) NOT NULL,
      "signature" text NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE "signing_events" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "tenant_id" varchar(63) NOT NULL,
      "action" varchar(32) NOT NULL,
      "actor" varchar(200) NOT NULL,
      "model" varchar(128),
      "version" integer,
      "key_id" varchar(64),
      "code" varchar(32),
      "reason" varchar(500),
      "occurred_at" timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX "signing_events_tenant_time_idx" ON "signing_events" ("tenant_id", "occurred_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "signing_events"`);
    await q.query(`DROP TABLE "artifact_signatures"`);
    await q.query(`DROP TABLE "trusted_keys"`);
    await q.query(`ALTER TABLE "tenants" DROP COLUMN "require_signatures"`);
  }
}
