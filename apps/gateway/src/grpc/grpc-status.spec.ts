import { status } from '@grpc/grpc-js';
import { QuotaError } from '@falaj/routing';
import { GRPC_ERROR_CODE_METADATA, INTERNAL_DETAILS, grpcErrorOf, grpcStatusOf } from './grpc-status';

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

describe('grpcErrorOf', () => {
  it('keeps the message as the details and carries the code and retry-after as trailing metadata', () => {
    const answer = grpcErrorOf(new QuotaError(429, "rate limit exceeded for tenant 'acme'; retry after 2 s", 2, 'tenant_rate'), true);
    expect(answer.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(answer.details).toBe("rate limit exceeded for tenant 'acme'; retry after 2 s");
    expect(answer.metadata?.get(GRPC_ERROR_CODE_METADATA)).toEqual(['quota_exceeded']);
    expect(answer.metadata?.get('retry-after')).toEqual(['2']);
  });

  it("names a status-carrying error's code after its status when it has none of its own", () => {
    const answer = grpcErrorOf(Object.assign(new Error('too big'), { status: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' }));
    expect(answer.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(answer.metadata?.get(GRPC_ERROR_CODE_METADATA)).toEqual(['payload_too_large']);
  });

  it('answers an error without a status INTERNAL, code internal, its text not told', () => {
    const answer = grpcErrorOf(new TypeError('x is undefined'));
    expect({ code: answer.code, details: answer.details, errorCode: answer.metadata?.get(GRPC_ERROR_CODE_METADATA) }).toEqual({
      code: status.INTERNAL,
      details: INTERNAL_DETAILS,
      errorCode: ['internal'],
    });
  });
});
