import { DomainError } from './domain.error';
import { errorCodeOf, statusErrorCode } from './error-code';

describe('statusErrorCode', () => {
  it.each([
    [400, 'bad_request'],
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [413, 'payload_too_large'],
    [429, 'too_many_requests'],
    [500, 'internal'],
    [503, 'unavailable'],
    [418, 'bad_request'],
    [599, 'internal'],
  ])('names status %i %s', (status, code) => {
    expect(statusErrorCode(status)).toBe(code);
  });
});

describe('errorCodeOf', () => {
  it("takes a DomainError's own code, whatever the status it is answered with", () => {
    expect(errorCodeOf(new DomainError(503, 'away', 'backbone_unavailable'), 503)).toBe('backbone_unavailable');
  });

  it("never passes on another error's code (errno, SQLSTATE, Fastify's)", () => {
    expect(errorCodeOf(Object.assign(new Error('no file'), { code: 'ENOENT' }), 400)).toBe('bad_request');
    expect(errorCodeOf(Object.assign(new Error('dup'), { code: '23505' }), 500)).toBe('internal');
  });
});
