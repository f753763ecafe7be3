import { DomainError, type LimitName } from '@falaj/contracts';

/** What a QuotaError says went wrong: its `code`, in every protocol's error answer. */
export const QUOTA_ERROR_CODES = ['quota_exceeded', 'shed'] as const;
export type QuotaErrorCode = (typeof QUOTA_ERROR_CODES)[number];

/**
 * Over a quota (429) or shed (503): the caller is told when to come back. Thrown by admission
 * (Admission, on every entry point) and by shedding and the pool streams' budget; every
 * protocol maps it by its status, and `retryAfterSeconds` becomes `Retry-After`.
 */
export class QuotaError extends DomainError<QuotaErrorCode> {
  declare readonly retryAfterSeconds: number;

  constructor(
    override readonly status: 429 | 503,
    message: string,
    retryAfterSeconds: number,
    /** The named limit, counted in `falaj_limit_refusals_total` (shedding is no limit: none). */
    limit?: LimitName,
  ) {
    super(status, message, status === 429 ? 'quota_exceeded' : 'shed', { retryAfterSeconds, ...(limit !== undefined ? { limit } : {}) });
  }
}
