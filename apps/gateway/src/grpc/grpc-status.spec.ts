import { status } from '@grpc/grpc-js';
import { grpcStatusOf } from './grpc-status';

describe('grpcStatusOf', () => {
  it.each([
    [400, status.INVALID_ARGUMENT],
    [401, status.UNAUTHENTICATED],
    [403, status.PERMISSION_DENIED],
    [404, status.NOT_FOUND],
    [413, status.RESOURCE_EXHAUSTED],
    [429, status.RESOURCE_EXHAUSTED],
    [503, status.UNAVAILABLE],
    [504, status.DEADLINE_EXCEEDED],
    [500, status.INTERNAL],
    [502, status.INTERNAL],
    [418, status.INVALID_ARGUMENT],
  ])('maps HTTP %i to gRPC status %i', (http, grpc) => {
    expect(grpcStatusOf(http)).toBe(grpc);
  });
});
