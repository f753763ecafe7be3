import type { DeploymentState, RouteEntry } from '@falaj/contracts';

/**
 * The route of a model's deployment (servingDeployment): one target per served version with the
 * deployment's weight, all on `pool`, with the shadow, the allowed regions, the SLA and the
 * hardware policy. The gateway picks a target by sticky key (resolveTarget) and places it in the
 * caller's region (placeRequest); for hardware `auto`, `pool` is only nominal and each request goes
 * to that region's CPU or GPU pool by hybridPlacement. Signatures of every served version ride
 * along. An implicit deployment (a production version alone) sets no policy, so its route carries
 * none: the same route a production version has always had.
 */
export function deploymentRoute(tenantId: string, model: string, deployment: DeploymentState, pool: string, now: Date = new Date()): RouteEntry {
  return {
    tenantId,
    model,
    targets: deployment.targets.map((t) => ({ version: t.version, pool, weight: t.weight })),
    signatures: Object.fromEntries(deployment.targets.map((t) => [String(t.version), t.signature])),
    ...(!deployment.implicit && { regions: deployment.regions, slaP95Ms: deployment.slaP95Ms, hardware: deployment.hardware }),
    ...(deployment.shadow && { shadow: { version: deployment.shadow.version, pool, percent: deployment.shadowPercent ?? 100 } }),
    updatedAt: now.toISOString(),
  };
}
