import { DomainError } from '@falaj/http';

export class TenantsError extends DomainError {
  static notFound(id: string): TenantsError {
    return new TenantsError(404, `tenant '${id}' not found`, 'tenant_not_found');
  }
  static exists(id: string): TenantsError {
    return new TenantsError(409, `tenant '${id}' already exists`, 'tenant_exists');
  }
}
