import { DomainError } from '@falaj/contracts';

/** What a RetentionError says went wrong: its `code`, in every protocol's error answer. */
export const RETENTION_ERROR_CODES = ['retention_busy'] as const;
export type RetentionErrorCode = (typeof RETENTION_ERROR_CODES)[number];

export class RetentionError extends DomainError<RetentionErrorCode> {
  static busy(): RetentionError {
    return new RetentionError(409, 'a retention pass is already running (on this or another registry); its run is listed at GET /admin/retention/runs', 'retention_busy');
  }
}
