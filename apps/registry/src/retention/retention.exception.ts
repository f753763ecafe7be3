import { DomainError } from '@falaj/contracts';

export class RetentionError extends DomainError {
  static busy(): RetentionError {
    return new RetentionError(409, 'a retention pass is already running (on this or another registry); its run is listed at GET /admin/retention/runs', 'retention_busy');
  }
}
