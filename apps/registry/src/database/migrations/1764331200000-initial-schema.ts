import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764331200000 implements MigrationInterface {
  name = 'InitialSchema1764331200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "tenants" (
      "id" varchar(63) PRIMARY KEY,
      "name" varchar(200) NOT NULL,
      "residency" varchar(32) NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE "models" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "tenant_id" varchar(63) NOT NULL,
      "name" varchar(128) NOT NULL,
      "description" text NOT NULL DEFAULT '',
      "created_by" varchar(200) NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE UNIQUE INDEX "models_tenant_name_uq" ON "models" ("tenant_id", "name")`);
    await q.query(`CREATE TABLE "model_versions" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "model_id" uuid NOT NULL,
      "version" integer NOT NULL,
      "stage" varchar(16) NOT NULL DEFAULT 'draft',
      "sha256" char(64) NOT NULL,
      "size_bytes" bigint NOT NULL,
      "signature" jsonb NOT NULL,
      "created_by" varchar(200) NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "stage_changed_at" timestamptz,
      "stage_changed_by" varchar(200))`);
    await q.query(`CREATE UNIQUE INDEX "model_versions_model_version_uq" ON "model_versions" ("model_id", "version")`);
    // Audit rows are partitioned by residency region; the writer adds a partition per region it
    // meets, and the default partition catches anything before that.
    await q.query(`CREATE TABLE "audit_log" (
      "request_id" varchar(200) NOT NULL,
      "residency_region" varchar(32) NOT NULL,
      "tenant_id" varchar(63) NOT NULL,
      "subject" varchar(200) NOT NULL,
      "model" varchar(128) NOT NULL,
      "version" integer,
      "pool" varchar(64),
      "protocol" varchar(16) NOT NULL,
      "status" integer NOT NULL,
      "error" text,
      "latency_ms" double precision NOT NULL,
      "served_region" varchar(32),
      "occurred_at" timestamptz NOT NULL,
      PRIMARY KEY ("request_id", "residency_region")
    ) PARTITION BY LIST ("residency_region")`);
    await q.query(`CREATE TABLE "audit_log_default" PARTITION OF "audit_log" DEFAULT`);
    await q.query(`CREATE INDEX "audit_log_tenant_time_idx" ON "audit_log" ("tenant_id", "occurred_at" DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "audit_log"`);
    await q.query(`DROP TABLE "model_versions"`);
    await q.query(`DROP TABLE "models"`);
    await q.query(`DROP TABLE "tenants"`);
  }
}
