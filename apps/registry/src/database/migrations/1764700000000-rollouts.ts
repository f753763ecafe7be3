import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Progressive rollouts (issue 5): the rollout records and their step history, and the audit
 * log index their analysis reads (one model version's answers since a step began).
 */
export class Rollouts1764700000000 implements MigrationInterface {
  name = 'Rollouts1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "rollouts" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "tenant_id" varchar(63) NOT NULL,
      "model_id" uuid NOT NULL,
      "model" varchar(128) NOT NULL,
      "baseline_version" integer NOT NULL,
      "canary_version" integer NOT NULL,
      "plan" jsonb NOT NULL,
      "baseline_spec" jsonb,
      "state" varchar(16) NOT NULL,
      "step" integer NOT NULL,
      "step_started_at" timestamptz NOT NULL,
      "deployment_revision" integer NOT NULL,
      "reason" text NOT NULL DEFAULT '',
      "created_by" varchar(200) NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      "finished_at" timestamptz)`);
    // One active rollout per model, enforced where two registries cannot both miss it.
    await q.query(`CREATE UNIQUE INDEX "rollouts_one_active_idx" ON "rollouts" ("model_id") WHERE "state" IN ('progressing', 'paused')`);
    await q.query(`CREATE INDEX "rollouts_model_time_idx" ON "rollouts" ("model_id", "created_at")`);
    await q.query(`CREATE TABLE "rollout_events" (
      "id" bigserial PRIMARY KEY,
      "rollout_id" uuid NOT NULL,
      "type" varchar(32) NOT NULL,
      "step" integer NOT NULL,
      "canary_weight" integer NOT NULL,
      "canary" jsonb,
      "baseline" jsonb,
      "reason" text NOT NULL DEFAULT '',
      "actor" varchar(200) NOT NULL,
      "occurred_at" timestamptz NOT NULL)`);
    await q.query(`CREATE INDEX "rollout_events_rollout_idx" ON "rollout_events" ("rollout_id", "id")`);
    await q.query(`CREATE INDEX "audit_log_version_time_idx" ON "audit_log" ("tenant_id", "model", "version", "occurred_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "audit_log_version_time_idx"`);
    await q.query(`DROP TABLE "rollout_events"`);
    await q.query(`DROP TABLE "rollouts"`);
  }
}
