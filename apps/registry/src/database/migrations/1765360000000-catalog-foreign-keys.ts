import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The catalog's tables that a model owns: each row goes with its model (issue 17, item 1). */
const OWNED_BY_MODEL = ['model_versions', 'model_aliases', 'stage_transitions', 'deployments', 'deployment_revisions'] as const;

/**
 * Foreign keys from the serving state to its model, ON DELETE CASCADE. Until now only the
 * delete path's code kept these tables consistent; a row whose model is gone was never served
 * and cannot be reached through the API, so it is deleted first (the ALTER would refuse it).
 */
export class CatalogForeignKeys1765360000000 implements MigrationInterface {
  name = 'CatalogForeignKeys1765360000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of OWNED_BY_MODEL) {
      await q.query(`DELETE FROM "${table}" t WHERE NOT EXISTS (SELECT 1 FROM "models" m WHERE m.id = t.model_id)`);
      await q.query(`ALTER TABLE "${table}" ADD CONSTRAINT "${table}_model_fk" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [...OWNED_BY_MODEL].reverse()) await q.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${table}_model_fk"`);
  }
}
