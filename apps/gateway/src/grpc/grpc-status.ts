import { Metadata, status as GrpcStatus, type StatusObject } from '@grpc/grpc-js';
import { errorCodeOf, retryAfterHeader } from '@falaj/contracts';

/**
 * The trailing metadata that carries an error's code (REST's body `code`): beside the status and
 * its details, which stay the readable message Triton clients print.
 */
export const GRPC_ERROR_CODE_METADATA = 'falaj-error-code';

/**
 * The gRPC status for an HTTP-like status of the shared inference path, as Triton maps them:
 * 413 (over the size limit) and 429 (over a quota) are both RESOURCE_EXHAUSTED, and so is any
 * other refusal for a named platform limit (`limited`: a 422 for an answer over the reply
 * limit is a resource the request asks too much of, not a malformed argument). 503 (in flight
 * past a cap, not ready, shed) is UNAVAILABLE: retry later.
 */
export function grpcStatusOf(httpStatus: number, limited = false): GrpcStatus {
  if (limited && httpStatus >= 400 && httpStatus < 500) return GrpcStatus.RESOURCE_EXHAUSTED;
  switch (httpStatus) {
    case 400:
    case 422:
      return GrpcStatus.INVALID_ARGUMENT;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.NOT_FOUND;
    case 409:
      return GrpcStatus.ALREADY_EXISTS;
    case 413:
    case 429:
      return GrpcStatus.RESOURCE_EXHAUSTED;
    case 501:
      return GrpcStatus.UNIMPLEMENTED;
    case 503:
      return GrpcStatus.UNAVAILABLE;
    case 504:
      return GrpcStatus.DEADLINE_EXCEEDED;
    default:
      if (httpStatus >= 400 && httpStatus < 500) return GrpcStatus.INVALID_ARGUMENT;
      return GrpcStatus.INTERNAL;
  }
}

/** The details of an error that carries no status: its text stays in the log. */
export const INTERNAL_DETAILS = 'internal error';

/**
 * An error as the gRPC status a call ends with, the one mapping of the gRPC edge (REST's is the
 * HTTP filter): a status-carrying error's HTTP-like status as its gRPC status (`limited`: it was
 * refused for a named limit), its message as the details, readable as REST's `error` (what
 * Triton clients print), the code REST's body carries as `falaj-error-code` trailing metadata,
 * and when to come back as `retry-after`, in seconds, as REST's header. Any other error is
 * INTERNAL, code `internal`, its text not told.
 */
export function grpcErrorOf(error: unknown, limited = false): StatusObject {
  const metadata = new Metadata();
  const status = (error as { status?: unknown } | null | undefined)?.status;
  if (error instanceof Error && typeof status === 'number' && status >= 400 && status < 600) {
    metadata.set(GRPC_ERROR_CODE_METADATA, errorCodeOf(error, status));
    const retryAfter = retryAfterHeader(error);
    if (retryAfter !== undefined) metadata.set('retry-after', retryAfter);
    return { code: grpcStatusOf(status, limited), details: error.message, metadata };
  }
  metadata.set(GRPC_ERROR_CODE_METADATA, 'internal');
  return { code: GrpcStatus.INTERNAL, details: INTERNAL_DETAILS, metadata };
}
