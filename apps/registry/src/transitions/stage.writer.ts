import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ModelStage } from '@falaj/contracts';
import { ModelVersionEntity } from '../versions/model-version.entity';
import { stageOfPreviousProduction } from '../versions/stage-transition.policy';
import { StageTransitionEntity } from './stage-transition.entity';

/** Who changes a stage and why; every change goes through here so none escapes the record. */
export interface StageChange {
  actor: string;
  reason: string;
}

/** Sets a version's stage and records the transition in the same transaction. */
@Injectable()
export class StageWriter {
  async set(tx: EntityManager, version: ModelVersionEntity, to: ModelStage, change: StageChange): Promise<ModelVersionEntity> {
    const from = version.stage;
    Object.assign(version, { stage: to, stageChangedAt: new Date(), stageChangedBy: change.actor });
    const saved = await tx.getRepository(ModelVersionEntity).save(version);
    await this.record(tx, version.modelId, version.version, from, to, change);
    return saved;
  }

  /**
   * Makes `versions` exactly the model's production set: each moves to production (where it is
   * not already), and every other production version steps down to staging, promotable again
   * for a rollback. Callers hold the model's lock and have checked the versions may serve.
   */
  async serveExactly(tx: EntityManager, modelId: string, versions: readonly number[], change: StageChange): Promise<void> {
    const rows = await tx.getRepository(ModelVersionEntity).find({ where: { modelId }, order: { version: 'ASC' } });
    const wanted = new Set(versions);
    for (const row of rows) {
      if (row.stage === 'production' && !wanted.has(row.version)) await this.set(tx, row, stageOfPreviousProduction(), change);
    }
    for (const row of rows) {
      if (wanted.has(row.version) && row.stage !== 'production') await this.set(tx, row, 'production', change);
    }
  }

  async record(tx: EntityManager, modelId: string, version: number, from: ModelStage | null, to: ModelStage, change: StageChange): Promise<void> {
    await tx.getRepository(StageTransitionEntity).insert({ modelId, version, fromStage: from, toStage: to, actor: change.actor, reason: change.reason });
  }
}
