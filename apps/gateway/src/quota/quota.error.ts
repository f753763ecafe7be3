import { DomainError } from '@falaj/http';

/** Over a quota (429) or shed (503): the caller is told when to come back. */
export class QuotaError extends DomainError {
  constructor(status: 429 | 503, message: string, readonly retryAfterSeconds: number) {
    super(status, message, status === 429 ? 'quota_exceeded' : 'shed');
  }
}
