import { DomainError } from '@falaj/contracts';

/**
 * How soon a tenant over its jobs-in-flight quota may try again: jobs take seconds to minutes,
 * so sooner would only be refused again.
 */
export const BATCH_RETRY_AFTER_SECONDS = 30;

/** What a BatchError says went wrong: its `code`, in every protocol's error answer. */
export const BATCH_ERROR_CODES = [
  'job_not_found',
  'bad_row',
  'row_too_large',
  'job_too_large',
  'tenant_batch_bytes',
  'too_many_jobs',
  'job_expired',
  'job_finished',
  'too_many_rows',
  'bad_input',
] as const;
export type BatchErrorCode = (typeof BATCH_ERROR_CODES)[number];

export class BatchError extends DomainError<BatchErrorCode> {
  static notFound(id: string): BatchError {
    return new BatchError(404, `batch job '${id}' not found`, 'job_not_found');
  }
  static badRow(index: number, reason: string, status = 400): BatchError {
    return new BatchError(status, `row ${index}: ${reason}`, 'bad_row');
  }
  static rowTooLarge(line: number, maxBytes: number): BatchError {
    return new BatchError(413, `line ${line} of the input is longer than the row limit of ${maxBytes} bytes (FALAJ_BATCH_MAX_ROW_BYTES)`, 'row_too_large', { limit: 'batch_row_bytes' });
  }
  static jobTooLarge(maxBytes: number): BatchError {
    return new BatchError(413, `the job's input is over the limit of ${maxBytes} bytes per job (FALAJ_BATCH_MAX_JOB_BYTES)`, 'job_too_large', { limit: 'batch_job_bytes' });
  }
  /**
   * Over the bytes a tenant's jobs in flight may hold. `retryable` when the tenant's other jobs
   * hold the room (429 with Retry-After: it fits once they finish); otherwise the job alone is
   * over the tenant's whole budget, and 413 says no retry will help.
   */
  static tenantBytes(maxBytes: number, retryable: boolean): BatchError {
    const details = { limit: 'batch_tenant_bytes' as const, ...(retryable ? { retryAfterSeconds: BATCH_RETRY_AFTER_SECONDS } : {}) };
    return retryable
      ? new BatchError(429, `the tenant's jobs in flight would hold more than ${maxBytes} bytes of input (FALAJ_BATCH_TENANT_MAX_BYTES); retry when some have finished`, 'tenant_batch_bytes', details)
      : new BatchError(413, `the job's input is over the ${maxBytes} bytes all of a tenant's jobs in flight may hold (FALAJ_BATCH_TENANT_MAX_BYTES)`, 'tenant_batch_bytes', details);
  }
  static tooManyJobs(max: number): BatchError {
    return new BatchError(429, `the tenant already has ${max} jobs queued or running (FALAJ_BATCH_TENANT_MAX_JOBS); retry when one has finished`, 'too_many_jobs', {
      limit: 'batch_tenant_jobs',
      retryAfterSeconds: BATCH_RETRY_AFTER_SECONDS,
    });
  }
  /** Its rows went with its tenant's job retention: the job's record stays, its inputs and results do not. */
  static expired(id: string, expiredAt: Date): BatchError {
    return new BatchError(410, `batch job '${id}' expired at ${expiredAt.toISOString()}: its inputs and results were deleted under its tenant's job retention`, 'job_expired');
  }
  static finished(id: string, state: string): BatchError {
    return new BatchError(409, `batch job '${id}' is already ${state}`, 'job_finished');
  }
}
