import { DomainError } from '@falaj/contracts';

/** What a TenantsError says went wrong: its `code`, in every protocol's error answer. */
export const TENANTS_ERROR_CODES = ['tenant_not_found', 'tenant_not_empty', 'tenant_exists'] as const;
export type TenantsErrorCode = (typeof TENANTS_ERROR_CODES)[number];

export class TenantsError extends DomainError<TenantsErrorCode> {
  static notFound(id: string): TenantsError {
    return new TenantsError(404, `tenant '${id}' not found`, 'tenant_not_found');
  }
  static notEmpty(id: string, held: { clients: number; apiKeys: number; models: number }): TenantsError {
    return new TenantsError(
      409,
      `tenant '${id}' still holds ${held.clients} live client(s), ${held.apiKeys} live API key(s) and ${held.models} model(s): revoke and delete them first`,
      'tenant_not_empty',
    );
  }
  static exists(id: string): TenantsError {
    return new TenantsError(409, `tenant '${id}' already exists`, 'tenant_exists');
  }
}
