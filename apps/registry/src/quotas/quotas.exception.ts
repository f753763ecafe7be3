import { DomainError } from '@falaj/contracts';

/** What a QuotasError says went wrong: its `code`, in every protocol's error answer. */
export const QUOTAS_ERROR_CODES = ['quota_not_found'] as const;
export type QuotasErrorCode = (typeof QUOTAS_ERROR_CODES)[number];

export class QuotasError extends DomainError<QuotasErrorCode> {
  static noTenantQuota(tenantId: string): QuotasError {
    return new QuotasError(404, `tenant '${tenantId}' has no quota record (the gateways' FALAJ_QUOTAS applies)`, 'quota_not_found');
  }
  static noModelQuota(model: string): QuotasError {
    return new QuotasError(404, `model '${model}' has no quota record (the gateways' FALAJ_QUOTAS applies)`, 'quota_not_found');
  }
}
