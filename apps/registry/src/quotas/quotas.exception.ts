import { DomainError } from '@falaj/contracts';

export class QuotasError extends DomainError {
  static noTenantQuota(tenantId: string): QuotasError {
    return new QuotasError(404, `tenant '${tenantId}' has no quota record (the gateways' FALAJ_QUOTAS applies)`, 'quota_not_found');
  }
  static noModelQuota(model: string): QuotasError {
    return new QuotasError(404, `model '${model}' has no quota record (the gateways' FALAJ_QUOTAS applies)`, 'quota_not_found');
  }
}
