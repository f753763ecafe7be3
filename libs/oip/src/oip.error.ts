import { DomainError, type LimitName } from '@falaj/contracts';

/** What a OipError says went wrong: its `code`, in every protocol's error answer. */
export const OIP_ERROR_CODES = ['bad_request', 'route_not_found', 'tensor_too_large', 'output_undecodable'] as const;
export type OipErrorCode = (typeof OIP_ERROR_CODES)[number];

/**
 * A request the Open Inference Protocol says to refuse, with the HTTP status to answer with
 * (400 for a malformed or mismatched request, 404 for an unknown model, 413 past a named
 * limit, …). The message goes to the client verbatim as `{"error": message}`, so it names the
 * tensor and the problem; `limit` names the platform limit it refuses for, when it does.
 */
export class OipError extends DomainError<OipErrorCode> {
  constructor(status: number, message: string, code: OipErrorCode = 'bad_request', limit?: LimitName) {
    super(status, message, code, limit !== undefined ? { limit } : {});
  }
}
