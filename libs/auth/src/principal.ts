import type { Scope } from './scopes';

/** Who is calling, as established from a verified credential. */
export interface Principal {
  subject: string;
  tenantId: string;
  scopes: readonly string[];
  /** The tenant's residency region, carried in the token so the hot path needs no lookup. */
  residency?: string;
  /** The issuer that vouched for the principal (absent for API keys). */
  issuer?: string;
}

export function hasScopes(principal: Principal, required: readonly Scope[]): boolean {
  return required.every((scope) => principal.scopes.includes(scope));
}

/** Whether the principal holds at least one of the scopes (an empty list asks for nothing). */
export function hasAnyScope(principal: Principal, anyOf: readonly Scope[]): boolean {
  return anyOf.length === 0 || anyOf.some((scope) => principal.scopes.includes(scope));
}
