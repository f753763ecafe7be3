import { poolName, type ModelLifecycleEvent, type RouteEntry } from '@falaj/contracts';
import { deploymentRoute, productionRoute } from '@falaj/routing';

/**
 * The route a model's lifecycle state gives, or null for none: a deployment → its hardware's pool
 * (for `auto` the CPU pool, nominal: the gateway places each request), else the production
 * version → the CPU pool of the default region. Stamped with the event's time, so the same
 * event always gives the same route (a replay rewrites nothing).
 */
export function lifecycleRoute(event: ModelLifecycleEvent, defaultRegion: string): RouteEntry | null {
  if (event.type === 'model.deleted') return null;
  const at = new Date(event.occurredAt);
  if (event.deployment) {
    const hardware = event.deployment.hardware === 'gpu' ? 'gpu' : 'cpu';
    const { regions } = event.deployment;
    const region = regions.length === 0 || regions.includes(defaultRegion) ? defaultRegion : regions[0];
    return deploymentRoute(event.tenantId, event.model, event.deployment, poolName(hardware, region), at);
  }
  if (event.production) return productionRoute(event.tenantId, event.model, event.production, poolName('cpu', defaultRegion), at);
  return null;
}
