import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The registry's lifecycle (issue 4): model labels and owner, version metadata and lineage,
 * aliases, recorded stage transitions, deployments with their revisions, tenants' payload-logging
 * policy and API keys.
 */
export class RegistryLifecycle1764500000000 implements MigrationInterface {
  name = 'RegistryLifecycle1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "tenants" ADD "payload_logging" varchar(16) NOT NULL DEFAULT 'none'`);
    await q.query(`ALTER TABLE "models" ADD "labels" jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE "models" ADD "owner" varchar(200) NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE "models" ADD "updated_at" timestamptz NOT NULL DEFAULT now()`);
    // Label filters are containment queries (`labels @> '{"team":"ocr"}'`).
    await q.query(`CREATE INDEX "models_labels_idx" ON "models" USING gin ("labels")`);
    await q.query(`ALTER TABLE "model_versions" ADD "opset" integer`);
    await q.query(`ALTER TABLE "model_versions" ADD "producer" varchar(200)`);
    await q.query(`ALTER TABLE "model_versions" ADD "parameter_count" bigint`);
    await q.query(`ALTER TABLE "model_versions" ADD "lineage" jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`CREATE TABLE "model_aliases" (
      "model_id" uuid NOT NULL,
      "alias" varchar(64) NOT NULL,
      "version" integer NOT NULL,
      "updated_by" varchar(200) NOT NULL,
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY ("model_id", "alias"))`);
    await q.query(`CREATE TABLE "stage_transitions" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "model_id" uuid NOT NULL,
      "version" integer NOT NULL,
      "from_stage" varchar(16),
      "to_stage" varchar(16) NOT NULL,
      "reason" text NOT NULL DEFAULT '',
      "actor" varchar(200) NOT NULL,
      "occurred_at" timestamptz NOT NULL DEFAULT clock_timestamp())`);
    await q.query(`CREATE INDEX "stage_transitions_model_time_idx" ON "stage_transitions" ("model_id", "occurred_at")`);
    await q.query(`CREATE TABLE "deployments" (
      "model_id" uuid PRIMARY KEY,
      "revision" integer NOT NULL,
      "spec" jsonb NOT NULL,
      "updated_by" varchar(200) NOT NULL,
      "updated_at" timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE "deployment_revisions" (
      "model_id" uuid NOT NULL,
      "revision" integer NOT NULL,
      "spec" jsonb,
      "reason" text NOT NULL DEFAULT '',
      "actor" varchar(200) NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY ("model_id", "revision"))`);
    await q.query(`CREATE TABLE "api_keys" (
      "id" varchar(32) PRIMARY KEY,
      "tenant_id" varchar(63) NOT NULL,
      "name" varchar(200) NOT NULL,
      "secret_sha256" char(64) NOT NULL,
      "scopes" jsonb NOT NULL,
      "created_by" varchar(200) NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "revoked_at" timestamptz)`);
    await q.query(`CREATE INDEX "api_keys_tenant_idx" ON "api_keys" ("tenant_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "api_keys"`);
    await q.query(`DROP TABLE "deployment_revisions"`);
    await q.query(`DROP TABLE "deployments"`);
    await q.query(`DROP TABLE "stage_transitions"`);
    await q.query(`DROP TABLE "model_aliases"`);
    await q.query(`ALTER TABLE "model_versions" DROP COLUMN "lineage"`);
    await q.query(`ALTER TABLE "model_versions" DROP COLUMN "parameter_count"`);
    await q.query(`ALTER TABLE "model_versions" DROP COLUMN "producer"`);
    await q.query(`ALTER TABLE "model_versions" DROP COLUMN "opset"`);
    await q.query(`DROP INDEX "models_labels_idx"`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "updated_at"`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "owner"`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "labels"`);
    await q.query(`ALTER TABLE "tenants" DROP COLUMN "payload_logging"`);
  }
}
