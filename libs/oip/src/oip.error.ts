import { DomainError, type LimitName } from '@falaj/contracts';

/**
 * A request the Open Inference Protocol says to refuse, with the HTTP status to answer with
 * (400 for a malformed or mismatched request, 404 for an unknown model, 413 past a named
 * limit, …). The message goes to the client verbatim as `{"error": message}`, so it names the
 * tensor and the problem; `limit` names the platform limit it refuses for, when it does.
 */
export class OipError extends DomainError {
  constructor(status: number, message: string, limit?: LimitName) {
    super(status, message, 'bad_request', limit !== undefined ? { limit } : {});
  }
}
