import { PLATFORM_TENANT, SCOPES, type Principal } from '@falaj/auth';
import type { AuditQuery } from './audit.dto';
import { AuditError } from './audit.exception';

/** Whose rows a query reads: one tenant's, or every tenant's (null: the platform admin naming none). */
export interface AuditScope {
  tenantId: string | null;
}

/** The filters of a query: what a cursor is bound to, besides the scope. */
export type AuditFilters = Pick<AuditQuery, 'model' | 'version' | 'status' | 'protocol' | 'from' | 'to' | 'requestId'>;

/** Where a page ended: the last row's time as Postgres holds it (microseconds) and its event id. */
export interface AuditPosition {
  at: string;
  eventId: string;
}

/** Newest first, ties broken by event id: a total order, so keyset pages neither skip nor repeat a row. */
export const AUDIT_ORDER = 'occurred_at DESC, event_id DESC';

/**
 * The platform admin reads every tenant, or the one it names; a tenant's account reads its own
 * and naming another is a 403 (not its own rows quietly: a script that asked for another tenant
 * must learn it got nothing of it). A platform scope counts only on a platform account.
 */
export function auditScopeOf(principal: Principal, tenant: string | undefined): AuditScope {
  if (principal.tenantId === PLATFORM_TENANT && principal.scopes.includes(SCOPES.platformAdmin)) return { tenantId: tenant ?? null };
  if (tenant !== undefined && tenant !== principal.tenantId) throw AuditError.otherTenant(tenant, principal.tenantId);
  return { tenantId: principal.tenantId };
}

/** `404` is itself; `4xx` is 400…499. The dto has checked the form. */
export function statusRange(status: string): { min: number; max: number } {
  const cls = /^([1-5])xx$/i.exec(status);
  if (cls) return { min: Number(cls[1]) * 100, max: Number(cls[1]) * 100 + 99 };
  return { min: Number(status), max: Number(status) };
}

/** The WHERE of a read: the scope first (every statement is bounded by it), the filters, then the keyset. */
export function auditConditions(scope: AuditScope, filters: AuditFilters, after?: AuditPosition): { where: string; params: unknown[] } {
  const params: unknown[] = [];
  const $ = (value: unknown) => `$${params.push(value)}`;
  const clauses: string[] = [];
  if (scope.tenantId !== null) clauses.push(`tenant_id = ${$(scope.tenantId)}`);
  if (filters.model !== undefined) clauses.push(`model = ${$(filters.model)}`);
  if (filters.version !== undefined) clauses.push(`version = ${$(filters.version)}`);
  if (filters.status !== undefined) {
    const { min, max } = statusRange(filters.status);
    clauses.push(min === max ? `status = ${$(min)}` : `status BETWEEN ${$(min)} AND ${$(max)}`);
  }
  if (filters.protocol !== undefined) clauses.push(`protocol = ${$(filters.protocol)}`);
  if (filters.requestId !== undefined) clauses.push(`request_id = ${$(filters.requestId)}`);
  if (filters.from !== undefined) clauses.push(`occurred_at >= ${$(filters.from.toISOString())}::timestamptz`);
  if (filters.to !== undefined) clauses.push(`occurred_at < ${$(filters.to.toISOString())}::timestamptz`);
  // A row comparison the (…, occurred_at DESC, event_id DESC) indexes answer as an index condition.
  if (after) clauses.push(`(occurred_at, event_id) < (${$(after.at)}::timestamptz, ${$(after.eventId)}::uuid)`);
  return { where: clauses.length > 0 ? clauses.join(' AND ') : 'TRUE', params };
}

/**
 * What a cursor is bound to: the caller's reach and every filter, normalised (`5XX` is `5xx`, an
 * instant in any offset is its UTC), so a cursor opens the query it came from and nothing else.
 */
export function cursorBinding(scope: AuditScope, filters: AuditFilters): string {
  return JSON.stringify([
    scope.tenantId ?? '*',
    filters.model ?? null,
    filters.version ?? null,
    filters.status?.toLowerCase() ?? null,
    filters.protocol ?? null,
    filters.requestId ?? null,
    filters.from?.toISOString() ?? null,
    filters.to?.toISOString() ?? null,
  ]);
}
