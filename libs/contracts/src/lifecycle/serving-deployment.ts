import type { DeploymentState, ModelLifecycleEvent } from './model-lifecycle.event';

/**
 * What a model serves after this event — the one decision every consumer reads: the event's
 * deployment, else the implicit deployment of its production version (all traffic to it, on CPU,
 * in the tenant's regions: what a production version has always meant, and what events written
 * before `deployment` was always set still mean on replay), else null (deleted, or nothing in
 * production).
 */
export function servingDeployment(event: Pick<ModelLifecycleEvent, 'type' | 'production' | 'deployment'>): DeploymentState | null {
  if (event.type === 'model.deleted') return null;
  if (event.deployment) return event.deployment;
  if (!event.production) return null;
  return { revision: 1, targets: [{ ...event.production, weight: 100 }], shadow: null, hardware: 'cpu', regions: [], slaP95Ms: null, implicit: true };
}
