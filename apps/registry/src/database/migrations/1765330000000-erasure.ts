import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The record of each erasure (issue 13, item 4): what was removed, the subject only as a keyed hash. */
export class Erasure1765330000000 implements MigrationInterface {
  name = 'Erasure1765330000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "erasure_requests" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "tenant_id" varchar(63) NOT NULL,
      "requested_by" varchar(200) NOT NULL,
      "subject_hash" varchar(64),
      "request_ids" int NOT NULL,
      "counts" jsonb NOT NULL,
      "requested_at" timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX "erasure_requests_tenant_idx" ON "erasure_requests" ("tenant_id", "requested_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "erasure_requests"`);
  }
}
