import { HEARTBEAT_TTL_MS, parsePoolName, poolName, type RouteEntry, type RouteTarget, type WorkerHeartbeat } from '@falaj/contracts';
import { placeTarget } from '../residency.policy';
import { hybridPlacement } from './hybrid-placement.policy';
import { readyModel, type Placement } from './placement';

/** The pools an `auto` deployment may run on in a region: its GPU and its CPU pool. */
export function hybridPools(region: string): string[] {
  return [poolName('gpu', region), poolName('cpu', region)];
}

/**
 * Where one request runs. Residency first and unchanged (placeTarget: the caller's region, or a
 * ResidencyError, never another region); then an `auto` route is placed by hybridPlacement
 * between that region's GPU and CPU pools, and any other route keeps its target's hardware there,
 * when a worker has the version ready. `live` gives a pool's live heartbeats (the gateway's and
 * the streaming bridge's PoolMonitor: in memory, no I/O on the request path).
 */
export function placeRequest(route: RouteEntry, target: RouteTarget, residency: string | undefined, live: (pool: string) => readonly WorkerHeartbeat[], now: number = Date.now()): Placement {
  const nominal = placeTarget(route, target, residency);
  const parsed = parsePoolName(nominal);
  if (route.hardware === 'auto' && parsed !== null) {
    const pools = hybridPools(parsed.region).map((pool) => ({ pool, workers: live(pool) }));
    return hybridPlacement({ tenantId: route.tenantId, model: route.model, version: target.version, slaP95Ms: route.slaP95Ms, pools, now });
  }
  const cutoff = now - HEARTBEAT_TTL_MS;
  const ready = live(nominal).some((w) => w.sentAt >= cutoff && readyModel(w, route.tenantId, route.model, target.version) !== undefined);
  if (!ready) {
    return { pool: null, reason: 'none-ready', explanation: `none-ready: no worker of ${nominal} has version ${target.version} ready`, candidates: [nominal], estimates: [] };
  }
  const hardware = route.hardware ?? parsed?.hardware ?? 'cpu';
  return { pool: nominal, reason: 'fixed', explanation: `fixed: deployment hardware ${hardware}`, candidates: [nominal], estimates: [] };
}
