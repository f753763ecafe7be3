import type { RouteEntry, ServingVersion } from '@falaj/contracts';

/**
 * The route of a model whose production version serves all its traffic from one pool. Weighted
 * splits, shadows and residency-aware placement replace this with the deployment's policy.
 */
export function productionRoute(tenantId: string, model: string, production: ServingVersion, pool: string, now: Date = new Date()): RouteEntry {
  return {
    tenantId,
    model,
    targets: [{ version: production.version, pool, weight: 100 }],
    signatures: { [String(production.version)]: production.signature },
    updatedAt: now.toISOString(),
  };
}
