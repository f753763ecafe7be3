import type { ModelSignature, RouteEntry, RouteTarget } from '@falaj/contracts';

/** No route serves the model or version asked for: a 404 in every protocol. */
export class UnroutableError extends Error {
  readonly status = 404;
}

export interface ResolvedTarget {
  route: RouteEntry;
  target: RouteTarget;
  signature: ModelSignature;
}

/**
 * Picks the version and pool of a request from the model's route: the version asked for, or
 * the heaviest-weighted target. (Weighted and sticky splits arrive with traffic management.)
 */
export function resolveTarget(model: string, route: RouteEntry | undefined, version?: string): ResolvedTarget {
  if (!route) throw new UnroutableError(`model '${model}' not found`);
  const target = version
    ? route.targets.find((t) => String(t.version) === version)
    : route.targets.reduce((best, t) => (t.weight > best.weight ? t : best));
  const signature = target && route.signatures[String(target.version)];
  if (!target || !signature) throw new UnroutableError(`version ${version ?? '?'} of model '${model}' is not serving`);
  return { route, target, signature };
}
