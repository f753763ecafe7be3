import type { DeploymentRevisionEntity } from './deployment-revision.entity';
import type { DeploymentEntity } from './deployment.entity';

export function toDeploymentView(model: string, d: DeploymentEntity) {
  return { model, revision: d.revision, ...d.spec, updatedBy: d.updatedBy, updatedAt: d.updatedAt };
}

export function toRevisionView(r: DeploymentRevisionEntity) {
  return { revision: r.revision, spec: r.spec, reason: r.reason, actor: r.actor, createdAt: r.createdAt };
}

export const DEPLOYMENT_EXAMPLE = {
  model: 'fraud-scorer',
  revision: 2,
  targets: [
    { version: 3, weight: 90 },
    { version: 4, weight: 10 },
  ],
  shadow: 5,
  hardware: 'cpu',
  serving: { batching: { enabled: true, maxBatchSize: 16, maxQueueDelayMicros: 500 }, instanceCount: 1 },
  slaP95Ms: 50,
  regions: ['ae'],
  updatedBy: 'alice',
  updatedAt: '2026-11-28T12:00:00.000Z',
};
