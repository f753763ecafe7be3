import type { Scope } from './scopes';

/** Who is calling, as established from a verified credential. */
export interface Principal {
  subject: string;
  tenantId: string;
  scopes: readonly string[];
}

export function hasScopes(principal: Principal, required: readonly Scope[]): boolean {
  return required.every((scope) => principal.scopes.includes(scope));
}
