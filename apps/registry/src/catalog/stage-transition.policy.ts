import type { ModelStage } from '@falaj/contracts';

/** Which stage a version may move to from where it is. Archived versions come back only via staging. */
const ALLOWED: Record<ModelStage, readonly ModelStage[]> = {
  draft: ['staging', 'production', 'archived'],
  staging: ['draft', 'production', 'archived'],
  production: ['staging', 'archived'],
  archived: ['staging'],
};

export function canTransition(from: ModelStage, to: ModelStage): boolean {
  return ALLOWED[from].includes(to);
}

/**
 * Promoting a version to production demotes the one serving before it to staging: one
 * production version per model (traffic splits across versions belong to deployments), and
 * the demoted one stays promotable for a rollback.
 */
export function stageOfPreviousProduction(): ModelStage {
  return 'staging';
}

export interface TransitionRecord {
  version: number;
  toStage: ModelStage;
}

/**
 * The version a rollback returns to: the latest one, before those serving now, that entered
 * production and may still go back there (not archived; archived ones return only via staging).
 * `history` is oldest first.
 */
export function rollbackTarget(history: readonly TransitionRecord[], serving: ReadonlySet<number>, stages: ReadonlyMap<number, ModelStage>): number | null {
  for (let i = history.length - 1; i >= 0; i--) {
    const { version, toStage } = history[i];
    if (toStage !== 'production' || serving.has(version)) continue;
    const stage = stages.get(version);
    if (stage !== undefined && canTransition(stage, 'production')) return version;
  }
  return null;
}
