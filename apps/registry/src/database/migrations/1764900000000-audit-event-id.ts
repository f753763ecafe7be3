import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit rows are keyed by their event's id, not the client's request id: with the old key
 * (request_id, residency_region) a second call with the same request id, from any tenant, lost
 * its row to ON CONFLICT DO NOTHING (and the rollout analysis, which counts these rows, missed
 * it). Rows written before get an id of their own. Altered on the partitioned parent, so every
 * residency partition, present and future, follows.
 */
export class AuditEventId1764900000000 implements MigrationInterface {
  name = 'AuditEventId1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_log" ADD "event_id" uuid`);
    await q.query(`UPDATE "audit_log" SET "event_id" = gen_random_uuid()`);
    await q.query(`ALTER TABLE "audit_log" ALTER COLUMN "event_id" SET NOT NULL`);
    await q.query(`ALTER TABLE "audit_log" DROP CONSTRAINT "audit_log_pkey"`);
    await q.query(`ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_pkey" PRIMARY KEY ("event_id", "residency_region")`);
    await q.query(`CREATE INDEX "audit_log_tenant_request_idx" ON "audit_log" ("tenant_id", "request_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "audit_log_tenant_request_idx"`);
    // The old key holds one row per request id and region: the others go.
    await q.query(
      `DELETE FROM "audit_log" a USING "audit_log" b
        WHERE a.request_id = b.request_id AND a.residency_region = b.residency_region AND a.event_id > b.event_id`,
    );
    await q.query(`ALTER TABLE "audit_log" DROP CONSTRAINT "audit_log_pkey"`);
    await q.query(`ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_pkey" PRIMARY KEY ("request_id", "residency_region")`);
    await q.query(`ALTER TABLE "audit_log" DROP COLUMN "event_id"`);
  }
}
