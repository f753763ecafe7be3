import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One inference edge (issue 13): a job's rows run through the inference pipeline like any
 * call. The job keeps its submitter's residency (rows are placed in it, as the token placed a
 * sync call) and why it waits while its tenant's quota holds it back; each row keeps the pool
 * and worker that answered it.
 */
export class JobPlacement1765100000000 implements MigrationInterface {
  name = 'JobPlacement1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "batch_jobs" ADD "residency" varchar(32)`);
    await q.query(`ALTER TABLE "batch_jobs" ADD "waiting" text`);
    await q.query(`ALTER TABLE "batch_rows" ADD "pool" varchar(64)`);
    await q.query(`ALTER TABLE "batch_rows" ADD "worker_id" varchar(200)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "batch_rows" DROP COLUMN "worker_id"`);
    await q.query(`ALTER TABLE "batch_rows" DROP COLUMN "pool"`);
    await q.query(`ALTER TABLE "batch_jobs" DROP COLUMN "waiting"`);
    await q.query(`ALTER TABLE "batch_jobs" DROP COLUMN "residency"`);
  }
}
