import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Quotas as records set through the admin API: a tenant's (bucket and in-flight limit) on its
 * row, a model's bucket on the model's. Null: no record, the gateways' FALAJ_QUOTAS applies.
 */
export class Quotas1764800000000 implements MigrationInterface {
  name = 'Quotas1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "tenants" ADD "quota" jsonb`);
    await q.query(`ALTER TABLE "models" ADD "quota" jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "models" DROP COLUMN "quota"`);
    await q.query(`ALTER TABLE "tenants" DROP COLUMN "quota"`);
  }
}
