import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each audit row says why its request ran on its pool (hybrid placement, issue 5). Altered on the
 * partitioned parent, so every residency partition, present and future, gets the column.
 */
export class AuditPlacement1764650000000 implements MigrationInterface {
  name = 'AuditPlacement1764650000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_log" ADD "placement" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_log" DROP COLUMN "placement"`);
  }
}
