import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Resource limits (issue 11): each batch job records the bytes of its input, which count
 * against the tenant's batch byte limit while it is in flight; versions are found by artifact
 * hash, for the per-tenant storage sum and the collection of artifacts no version references.
 */
export class ResourceLimits1765000000000 implements MigrationInterface {
  name = 'ResourceLimits1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "batch_jobs" ADD "input_bytes" bigint NOT NULL DEFAULT 0`);
    await q.query(`CREATE INDEX "model_versions_sha256_idx" ON "model_versions" ("sha256")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "model_versions_sha256_idx"`);
    await q.query(`ALTER TABLE "batch_jobs" DROP COLUMN "input_bytes"`);
  }
}
