import { poolName, servingDeployment, type ModelLifecycleEvent, type RouteEntry } from '@falaj/contracts';
import { deploymentRoute } from '@falaj/routing';

/**
 * The route a model's lifecycle state gives, or null for none: what it serves (servingDeployment)
 * on its hardware's pool (for `auto` the CPU pool, nominal: the gateway places each request), in
 * the default region unless the deployment's regions exclude it. Stamped with the event's time,
 * so the same event always gives the same route (a replay rewrites nothing).
 */
export function lifecycleRoute(event: ModelLifecycleEvent, defaultRegion: string): RouteEntry | null {
  const deployment = servingDeployment(event);
  if (!deployment) return null;
  const hardware = deployment.hardware === 'gpu' ? 'gpu' : 'cpu';
  const { regions } = deployment;
  const region = regions.length === 0 || regions.includes(defaultRegion) ? defaultRegion : regions[0];
  return deploymentRoute(event.tenantId, event.model, deployment, poolName(hardware, region), new Date(event.occurredAt));
}
