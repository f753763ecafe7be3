import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit query API (issue 13) reads newest first by keyset over (occurred_at, event_id): the
 * tenant's index gains event_id, so a page is one index range scan with the row comparison as
 * its condition (no sort of a tenant's whole log), and the platform admin's read of every tenant
 * gets an index of its own. Created on the partitioned parent: every region's partition follows.
 */
export class AuditKeysetIndex1765240000000 implements MigrationInterface {
  name = 'AuditKeysetIndex1765240000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "audit_log_tenant_time_idx"`);
    await q.query(`CREATE INDEX "audit_log_tenant_time_idx" ON "audit_log" ("tenant_id", "occurred_at" DESC, "event_id" DESC)`);
    await q.query(`CREATE INDEX "audit_log_time_idx" ON "audit_log" ("occurred_at" DESC, "event_id" DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "audit_log_time_idx"`);
    await q.query(`DROP INDEX "audit_log_tenant_time_idx"`);
    await q.query(`CREATE INDEX "audit_log_tenant_time_idx" ON "audit_log" ("tenant_id", "occurred_at" DESC)`);
  }
}
