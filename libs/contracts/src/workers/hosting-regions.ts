/**
 * Where a tenant's model versions may be held in memory at all: the regions of the tenant — its
 * residency, which placement never leaves (placeTarget) — narrowed to the deployment's regions
 * when it names some. Empty: nowhere (the deployment allows none of the tenant's regions).
 * Undefined only for a tenant with no residency: anywhere the deployment allows (any, without).
 */
export function hostingRegions(residency: string | undefined, deploymentRegions: readonly string[] = []): string[] | undefined {
  if (residency === undefined) return deploymentRegions.length > 0 ? [...deploymentRegions] : undefined;
  return deploymentRegions.length === 0 || deploymentRegions.includes(residency) ? [residency] : [];
}

/** Why a worker of `region` may not hold the tenant's version; null when it may. */
export function hostingRefusal(tenantId: string, regions: readonly string[] | undefined, region: string): string | null {
  if (regions === undefined || regions.includes(region)) return null;
  const where = regions.length === 0 ? 'in no region its deployment allows' : `only in ${regions.map((r) => `'${r}'`).join(', ')}`;
  return `residency: tenant '${tenantId}' data stays ${where}, not in '${region}'`;
}
