import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention (issue 13): a tenant's days for audit rows and job rows (null: the platform's
 * default), an ended job's expiry, and the record of each retention pass.
 */
export class Retention1765310000000 implements MigrationInterface {
  name = 'Retention1765310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "tenants" ADD "audit_retention_days" integer, ADD "job_retention_days" integer`);
    await q.query(`ALTER TABLE "batch_jobs" ADD "expired_at" timestamptz`);
    await q.query(`CREATE INDEX "batch_jobs_retention_idx" ON "batch_jobs" ("tenant_id", "finished_at") WHERE "expired_at" IS NULL`);
    await q.query(`CREATE TABLE "retention_runs" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "trigger" varchar(16) NOT NULL,
      "instance" varchar(200) NOT NULL,
      "state" varchar(16) NOT NULL,
      "started_at" timestamptz NOT NULL,
      "finished_at" timestamptz,
      "removed" jsonb NOT NULL DEFAULT '[]',
      "partitions_dropped" jsonb NOT NULL DEFAULT '[]',
      "partitions_created" jsonb NOT NULL DEFAULT '[]',
      "error" text)`);
    await q.query(`CREATE INDEX "retention_runs_started_idx" ON "retention_runs" ("started_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "retention_runs"`);
    await q.query(`DROP INDEX "batch_jobs_retention_idx"`);
    await q.query(`ALTER TABLE "batch_jobs" DROP COLUMN "expired_at"`);
    await q.query(`ALTER TABLE "tenants" DROP COLUMN "audit_retention_days", DROP COLUMN "job_retention_days"`);
  }
}
