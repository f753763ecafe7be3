import { createHash } from 'node:crypto';
import { BACKBONE_RETRY_AFTER_SECONDS, DomainError, type ModelSignature, type RouteEntry, type RouteTarget } from '@falaj/contracts';

/** What routing says went wrong: its `code`, in every protocol's error answer. */
export const ROUTING_ERROR_CODES = ['unroutable', 'routing_unavailable'] as const;
export type RoutingErrorCode = (typeof ROUTING_ERROR_CODES)[number];

/** No route serves the model or version asked for: a 404 in every protocol. */
export class UnroutableError extends DomainError<RoutingErrorCode> {
  constructor(message: string) {
    super(404, message, 'unroutable');
  }
}

/**
 * The routing table is not there to say (Redis lost it and the router has not written it back
 * yet, or it was never read): a miss is no answer about the model, so 503 with Retry-After on
 * every protocol, never a 404 that tells the client to give up.
 */
export class RoutingUnavailableError extends DomainError<RoutingErrorCode> {
  constructor(model: string) {
    super(503, `routing is unavailable: the routing table is being rebuilt, model '${model}' cannot be looked up now; retry shortly`, 'routing_unavailable', {
      retryAfterSeconds: BACKBONE_RETRY_AFTER_SECONDS,
    });
  }
}

export interface ResolvedTarget {
  route: RouteEntry;
  target: RouteTarget;
  signature: ModelSignature;
}

/**
 * A routing key's point in [0, 100): a hash of model and key, so one key lands on the same point
 * of every model's split without all of a caller's models moving together.
 */
export function stickyPoint(model: string, routingKey: string): number {
  const digest = createHash('sha256').update(model).update('\0').update(routingKey).digest();
  return (digest.readUInt32BE(0) / 0x1_0000_0000) * 100;
}

/**
 * The target whose cumulative weight range holds the point. Targets are taken in version order,
 * so the ranges depend only on the weights: a change of weights moves only the keys in the part
 * of a range that changed hands (90/10 → 80/20 moves the points in [80, 90), nothing else).
 */
export function weightedTarget(targets: readonly RouteTarget[], point: number | (() => number)): RouteTarget | undefined {
  const ordered = targets.filter((t) => t.weight > 0).sort((a, b) => a.version - b.version);
  // One target takes every point: the hash (a SHA-256 per request) is only worth it for a split.
  if (ordered.length <= 1) return ordered[0];
  if (typeof point === 'function') point = point();
  let upper = 0;
  for (const target of ordered) {
    upper += target.weight;
    if (point < upper) return target;
  }
  return ordered.at(-1);
}

/**
 * Picks the version and pool of a request from the model's route: the version asked for (or
 * pinned), else the weighted split by the routing key (sticky while the weights stand), else,
 * without a key, the heaviest-weighted target. `tablePresent`: whether the table the route came
 * from is the router's whole table (RoutingTableReader.present); without it a missing route is
 * RoutingUnavailableError (503), not UnroutableError (404). A route found is served either way:
 * a view kept across a Redis loss is the last the router wrote.
 */
export function resolveTarget(model: string, route: RouteEntry | undefined, version?: string, routingKey?: string, tablePresent = true): ResolvedTarget {
  if (!route) throw tablePresent ? new UnroutableError(`model '${model}' not found`) : new RoutingUnavailableError(model);
  const target = version
    ? route.targets.find((t) => String(t.version) === version)
    : routingKey !== undefined
      ? weightedTarget(route.targets, () => stickyPoint(model, routingKey))
      : route.targets.reduce((best, t) => (t.weight > best.weight ? t : best));
  const signature = target && route.signatures[String(target.version)];
  if (!target || !signature) throw new UnroutableError(`version ${version ?? '?'} of model '${model}' is not serving`);
  return { route, target, signature };
}

/**
 * The other targets of the route that may take a request whose chosen version is not loaded
 * yet (a blue-green switch to a version still loading): heaviest first, never the chosen one.
 */
export function fallbackTargets(route: RouteEntry, chosen: RouteTarget): RouteTarget[] {
  return route.targets.filter((t) => t !== chosen).sort((a, b) => b.weight - a.weight);
}
