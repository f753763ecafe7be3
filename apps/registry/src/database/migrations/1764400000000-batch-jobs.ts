import type { MigrationInterface, QueryRunner } from 'typeorm';

export class BatchJobs1764400000000 implements MigrationInterface {
  name = 'BatchJobs1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "batch_jobs" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "tenant_id" varchar(63) NOT NULL,
      "kind" varchar(8) NOT NULL,
      "model" varchar(128) NOT NULL,
      "version" integer NOT NULL,
      "pool" varchar(64) NOT NULL,
      "state" varchar(16) NOT NULL,
      "priority" integer NOT NULL,
      "fail_fast" boolean NOT NULL,
      "chunk_size" integer NOT NULL,
      "total" integer NOT NULL,
      "processed" integer NOT NULL DEFAULT 0,
      "failed" integer NOT NULL DEFAULT 0,
      "error" text,
      "created_by" varchar(200) NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "started_at" timestamptz,
      "finished_at" timestamptz)`);
    await q.query(`CREATE INDEX "batch_jobs_tenant_created_idx" ON "batch_jobs" ("tenant_id", "created_at")`);
    await q.query(`CREATE TABLE "batch_chunks" (
      "job_id" uuid NOT NULL,
      "chunk" integer NOT NULL,
      "state" varchar(16) NOT NULL,
      "attempt" integer NOT NULL DEFAULT 0,
      "enqueued_at" timestamptz,
      PRIMARY KEY ("job_id", "chunk"))`);
    await q.query(`CREATE INDEX "batch_chunks_pending_idx" ON "batch_chunks" ("state", "enqueued_at")`);
    await q.query(`CREATE TABLE "batch_rows" (
      "job_id" uuid NOT NULL,
      "idx" integer NOT NULL,
      "chunk" integer NOT NULL,
      "state" varchar(16) NOT NULL,
      "input" jsonb,
      "output" jsonb,
      "status" integer,
      "error" text,
      PRIMARY KEY ("job_id", "idx"))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "batch_rows"`);
    await q.query(`DROP TABLE "batch_chunks"`);
    await q.query(`DROP TABLE "batch_jobs"`);
  }
}
