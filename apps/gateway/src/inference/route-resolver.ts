import type { ModelSignature, RouteEntry, RouteTarget } from '@falaj/contracts';
import { InferenceError } from './inference.exception';

export interface ResolvedTarget {
  target: RouteTarget;
  signature: ModelSignature;
}

/**
 * Picks the version and pool of a request from the model's route: the version asked for, or
 * the heaviest-weighted target. (Weighted and sticky splits arrive with traffic management.)
 */
export function resolveTarget(model: string, route: RouteEntry, version?: string): ResolvedTarget {
  const target = version
    ? route.targets.find((t) => String(t.version) === version)
    : route.targets.reduce((best, t) => (t.weight > best.weight ? t : best));
  if (!target) throw InferenceError.versionNotFound(model, version ?? '?');
  const signature = route.signatures[String(target.version)];
  if (!signature) throw InferenceError.versionNotFound(model, String(target.version));
  return { target, signature };
}
