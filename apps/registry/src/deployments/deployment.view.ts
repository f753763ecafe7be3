import type { DeploymentEntity, DeploymentRevisionEntity } from '../catalog';

const orderedTargets = (targets: { version: number; weight: number }[]) => targets.map(({ version, weight }) => ({ version, weight }));

export function toDeploymentView(model: string, d: DeploymentEntity) {
  // Spelled out: jsonb does not keep the spec's key order.
  const { shadow, hardware, serving, slaP95Ms, regions } = d.spec;
  const shadowPercent = d.spec.shadowPercent ?? 100;
  return { model, revision: d.revision, targets: orderedTargets(d.spec.targets), shadow, shadowPercent, hardware, serving, slaP95Ms, regions, updatedBy: d.updatedBy, updatedAt: d.updatedAt };
}

export function toRevisionView(r: DeploymentRevisionEntity) {
  const spec = r.spec && { targets: orderedTargets(r.spec.targets), shadow: r.spec.shadow, hardware: r.spec.hardware, serving: r.spec.serving, slaP95Ms: r.spec.slaP95Ms, regions: r.spec.regions };
  return { revision: r.revision, spec, reason: r.reason, actor: r.actor, createdAt: r.createdAt };
}

export const DEPLOYMENT_EXAMPLE = {
  model: 'fraud-scorer',
  revision: 2,
  targets: [
    { version: 3, weight: 90 },
    { version: 4, weight: 10 },
  ],
  shadow: 5,
  shadowPercent: 100,
  hardware: 'cpu',
  serving: { batching: { enabled: true, maxBatchSize: 16, maxQueueDelayMicros: 500 }, instanceCount: 1 },
  slaP95Ms: 50,
  regions: ['ae'],
  updatedBy: 'alice',
  updatedAt: '2026-11-28T12:00:00.000Z',
};
