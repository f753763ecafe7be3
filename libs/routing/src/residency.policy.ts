import { DomainError, parsePoolName, poolName, type RouteEntry, type RouteTarget } from '@falaj/contracts';

/** What a ResidencyError says went wrong: its `code`, in every protocol's error answer. */
export const RESIDENCY_ERROR_CODES = ['residency'] as const;
export type ResidencyErrorCode = (typeof RESIDENCY_ERROR_CODES)[number];

/** No pool may serve the request without breaking its tenant's residency: a 503, never served elsewhere. */
export class ResidencyError extends DomainError<ResidencyErrorCode> {
  constructor(message: string) {
    super(503, message, 'residency');
  }
}

/**
 * The pool a request runs on. Without a residency (service identities, old tokens) it is the
 * target's pool. With one, it is the target's hardware in the residency region, and only when
 * the deployment's regions allow that region: residency bounds placement, it never widens it.
 */
export function placeTarget(route: RouteEntry, target: RouteTarget, residency: string | undefined): string {
  if (residency === undefined) return target.pool;
  const allowed = route.regions ?? [];
  if (allowed.length > 0 && !allowed.includes(residency)) {
    throw new ResidencyError(`residency: tenant '${route.tenantId}' data stays in region '${residency}', and model '${route.model}' is deployed only in ${allowed.map((r) => `'${r}'`).join(', ')}`);
  }
  return poolName(parsePoolName(target.pool)?.hardware ?? 'cpu', residency);
}
