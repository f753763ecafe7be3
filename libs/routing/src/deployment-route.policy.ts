import type { DeploymentState, RouteEntry } from '@falaj/contracts';

/**
 * The route of a model with a deployment: one target per served version with the deployment's
 * weight, all on `pool` (placement across pools and regions, weighted and sticky picking, and
 * shadows are the traffic manager's). Signatures of every served version ride along.
 */
export function deploymentRoute(tenantId: string, model: string, deployment: DeploymentState, pool: string, now: Date = new Date()): RouteEntry {
  return {
    tenantId,
    model,
    targets: deployment.targets.map((t) => ({ version: t.version, pool, weight: t.weight })),
    signatures: Object.fromEntries(deployment.targets.map((t) => [String(t.version), t.signature])),
    regions: deployment.regions,
    slaP95Ms: deployment.slaP95Ms,
    ...(deployment.shadow && { shadow: { version: deployment.shadow.version, pool, percent: deployment.shadowPercent ?? 100 } }),
    updatedAt: now.toISOString(),
  };
}
