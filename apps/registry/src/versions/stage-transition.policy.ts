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
