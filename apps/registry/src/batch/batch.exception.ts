import { DomainError } from '@falaj/http';

export class BatchError extends DomainError {
  static notFound(id: string): BatchError {
    return new BatchError(404, `batch job '${id}' not found`, 'job_not_found');
  }
  static badRow(index: number, reason: string): BatchError {
    return new BatchError(400, `row ${index}: ${reason}`, 'bad_row');
  }
  static finished(id: string, state: string): BatchError {
    return new BatchError(409, `batch job '${id}' is already ${state}`, 'job_finished');
  }
}
