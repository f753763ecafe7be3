import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A job's trace context (issue 16): the submission's W3C traceparent, so that its rows' spans join the submitter's trace. */
export class JobTrace1765340000000 implements MigrationInterface {
  name = 'JobTrace1765340000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "batch_jobs" ADD COLUMN "traceparent" varchar(55)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "batch_jobs" DROP COLUMN "traceparent"`);
  }
}
