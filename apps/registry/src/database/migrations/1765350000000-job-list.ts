import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tenant's job list (`GET /v2/batch/jobs`, issue 18): keyset on (created_at, id), newest
 * first. The new index has the old (tenant_id, created_at) one as its prefix, so it replaces it.
 */
export class JobList1765350000000 implements MigrationInterface {
  name = 'JobList1765350000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "batch_jobs_tenant_created_id_idx" ON "batch_jobs" ("tenant_id", "created_at", "id")`);
    await q.query(`DROP INDEX "batch_jobs_tenant_created_idx"`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "batch_jobs_tenant_created_idx" ON "batch_jobs" ("tenant_id", "created_at")`);
    await q.query(`DROP INDEX "batch_jobs_tenant_created_id_idx"`);
  }
}
