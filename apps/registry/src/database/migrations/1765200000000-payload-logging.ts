import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payload logging by policy (docs/audit.md#payload-logging-by-policy): the tenants' setting takes the policies'
 * names (`hashed` → `hash`, `redacted` → `redact`), a model may override it, and `payload_log`
 * keeps the records, partitioned by residency region as `audit_log` is.
 */
export class PayloadLogging1765200000000 implements MigrationInterface {
  name = 'PayloadLogging1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE "tenants" SET "payload_logging" = 'hash' WHERE "payload_logging" = 'hashed'`);
    await q.query(`UPDATE "tenants" SET "payload_logging" = 'redact' WHERE "payload_logging" = 'redacted'`);
    await q.query(`ALTER TABLE "models" ADD "payload_logging" varchar(16)`);
    await q.query(`CREATE TABLE "payload_log" (
      "event_id" uuid NOT NULL,
      "residency_region" varchar(32) NOT NULL,
      "tenant_id" varchar(63) NOT NULL,
      "model" varchar(128) NOT NULL,
      "version" integer,
      "policy" varchar(16) NOT NULL,
      "request" jsonb NOT NULL,
      "response" jsonb NOT NULL,
      "occurred_at" timestamptz NOT NULL,
      CONSTRAINT "PK_payload_log" PRIMARY KEY ("event_id", "residency_region")
    ) PARTITION BY LIST ("residency_region")`);
    await q.query(`CREATE TABLE "payload_log_default" PARTITION OF "payload_log" DEFAULT`);
    await q.query(`CREATE INDEX "payload_log_tenant_time_idx" ON "payload_log" ("tenant_id", "occurred_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "payload_log"`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "payload_logging"`);
    await q.query(`UPDATE "tenants" SET "payload_logging" = 'hashed' WHERE "payload_logging" = 'hash'`);
    await q.query(`UPDATE "tenants" SET "payload_logging" = 'redacted' WHERE "payload_logging" = 'redact'`);
  }
}
