import { idempotencyKeyProblem, isFinal, requestFingerprint, verdictOn, type IdempotencyRecord } from './idempotency.policy';

describe('idempotency.policy', () => {
  it.each([
    ['order-1', true],
    ['a', true],
    ['x'.repeat(255), true],
    ['', false],
    ['x'.repeat(256), false],
    ['with space', false],
    ['tab\there', false],
    ['ünïcode', false],
  ])('key %j valid: %s', (key, valid) => {
    expect(idempotencyKeyProblem(key) === undefined).toBe(valid);
  });

  it('fingerprints are length-prefixed and byte-exact', () => {
    expect(requestFingerprint(['ab', 'c'])).not.toBe(requestFingerprint(['a', 'bc']));
    expect(requestFingerprint(['rest', Buffer.from([1, 2])])).toBe(requestFingerprint(['rest', Buffer.from([1, 2])]));
    expect(requestFingerprint(['rest', Buffer.from([1, 2])])).not.toBe(requestFingerprint(['rest', Buffer.from([1, 3])]));
  });

  it.each([
    [200, true],
    [201, true],
    [400, true],
    [404, true],
    [413, true],
    [422, true],
    [408, false],
    [409, false],
    [425, false],
    [429, false],
    [500, false],
    [503, false],
    [504, false],
  ])('status %d is final: %s', (status, final) => {
    expect(isFinal(status)).toBe(final);
  });

  describe('verdictOn', () => {
    const done: IdempotencyRecord = { state: 'done', fingerprint: 'f', status: 200, headers: { 'x-request-id': 'r1' }, body: Buffer.from('{"a":1}').toString('base64') };
    it('replays a kept answer for the same request', () => {
      expect(verdictOn(done, 'f', 1024)).toEqual({ kind: 'replay', answer: { status: 200, headers: { 'x-request-id': 'r1' }, body: Buffer.from('{"a":1}') } });
    });
    it('refuses another request with the key (422), whatever its state', () => {
      expect(verdictOn(done, 'g', 1024)).toMatchObject({ kind: 'refuse', status: 422 });
      expect(verdictOn({ state: 'running', fingerprint: 'f' }, 'g', 1024)).toMatchObject({ kind: 'refuse', status: 422 });
    });
    it('answers a retry of a running call with 409 and Retry-After 1', () => {
      expect(verdictOn({ state: 'running', fingerprint: 'f' }, 'f', 1024)).toEqual(expect.objectContaining({ kind: 'refuse', status: 409, retryAfterSeconds: 1 }));
    });
    it('says an answer over the bound was not kept, naming the variable', () => {
      const verdict = verdictOn({ state: 'too-large', fingerprint: 'f', status: 200 }, 'f', 1024);
      expect(verdict).toMatchObject({ kind: 'refuse', status: 409 });
      expect(verdict.kind === 'refuse' && verdict.message).toMatch(/FALAJ_IDEMPOTENCY_MAX_ANSWER_BYTES \(1024\)/);
    });
  });
});
