import type { RouteEntry, RouteTarget } from '@falaj/contracts';
import { fallbackTargets } from '../route-resolver';
import type { Placement } from './placement';

/** A target of a route and where it was placed (`placement.pool` null: on no ready pool). */
export interface TargetPlacement {
  target: RouteTarget;
  placement: Placement;
}

/**
 * The target a request is served by: the chosen one when a pool has it ready; otherwise, unless
 * the caller asked for that version, the heaviest other target of the route that is ready. A
 * version the router just moved traffic to may still be loading (a blue-green switch): its
 * requests go to the version it replaces until a worker reports it ready, so none fails during
 * the switch. When nothing is ready, the chosen target's miss is what the caller is told about.
 */
export function readyTarget(route: RouteEntry, chosen: TargetPlacement, mayFallBack: boolean, place: (target: RouteTarget) => Placement): TargetPlacement {
  if (chosen.placement.pool !== null || !mayFallBack) return chosen;
  for (const other of fallbackTargets(route, chosen.target)) {
    const placement = place(other);
    if (placement.pool !== null) return { target: other, placement };
  }
  return chosen;
}
