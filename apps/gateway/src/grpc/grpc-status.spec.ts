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

describe('grpcStatusOf a named limit', () => {
  it('answers RESOURCE_EXHAUSTED for any 4xx refusal of a limit, the reply limit 422 among them', () => {
    expect(grpcStatusOf(422, true)).toBe(status.RESOURCE_EXHAUSTED);
    expect(grpcStatusOf(413, true)).toBe(status.RESOURCE_EXHAUSTED);
    expect(grpcStatusOf(400, true)).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('keeps INVALID_ARGUMENT for malformed input and UNAVAILABLE for an in-flight cap (503)', () => {
    expect(grpcStatusOf(422)).toBe(status.INVALID_ARGUMENT);
    expect(grpcStatusOf(400)).toBe(status.INVALID_ARGUMENT);
    expect(grpcStatusOf(503, true)).toBe(status.UNAVAILABLE);
  });
});
