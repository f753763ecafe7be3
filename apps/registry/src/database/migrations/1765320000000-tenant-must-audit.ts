import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A tenant's audit policy: `must_audit` tenants have a call refused (503) rather than served when
 * the gateway cannot make its audit event durable. False for every tenant made before it.
 */
export class TenantMustAudit1765320000000 implements MigrationInterface {
  name = 'TenantMustAudit1765320000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "tenants" ADD "must_audit" boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "tenants" DROP COLUMN "must_audit"`);
  }
}
