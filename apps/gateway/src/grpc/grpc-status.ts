import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * The gRPC status for an HTTP-like status of the shared inference path, as Triton maps them:
 * 413 (over the size limit) and 429 (over a quota) are both RESOURCE_EXHAUSTED.
 */
export function grpcStatusOf(httpStatus: number): GrpcStatus {
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
