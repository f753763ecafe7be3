import { status as GrpcStatus } from '@grpc/grpc-js';

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
