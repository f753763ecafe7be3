import { PLATFORM_TENANT, SCOPES, type Principal } from '@falaj/auth';
import { DomainError } from '@falaj/contracts';

/**
 * Whose records an erasure may remove: a platform admin's, any tenant it names (it must name
 * one: an erasure across every tenant is never one request); a tenant's account holding
 * audit:erase, its own tenant only (naming another is a 403).
 */
export function erasureTenantOf(principal: Principal, tenant: string | undefined): string {
  if (principal.tenantId === PLATFORM_TENANT && principal.scopes.includes(SCOPES.platformAdmin)) {
    if (tenant === undefined) throw new DomainError(400, 'tenant: a platform admin names the tenant whose records are erased', 'erasure_tenant_required');
    return tenant;
  }
  if (tenant !== undefined && tenant !== principal.tenantId) {
    throw new DomainError(403, `tenant: a tenant's account erases only in its own tenant ('${principal.tenantId}'), not '${tenant}'`, 'erasure_other_tenant');
  }
  return principal.tenantId;
}
