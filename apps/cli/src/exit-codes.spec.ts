import { CliError, hintOf } from './cli-error';
import { EXIT, exitCodeOfStatus } from './exit-codes';

describe('exitCodeOfStatus', () => {
  it('maps each kind of answer to the one code scripts can branch on', () => {
    expect([200, 201, 202, 204].map(exitCodeOfStatus)).toEqual([0, 0, 0, 0]);
    expect([401, 403].map(exitCodeOfStatus)).toEqual([EXIT.auth, EXIT.auth]);
    expect(exitCodeOfStatus(404)).toBe(EXIT.notFound);
    expect([400, 409, 413, 415, 422].map(exitCodeOfStatus)).toEqual(Array(5).fill(EXIT.refused));
    expect([429, 500, 502, 503, 504].map(exitCodeOfStatus)).toEqual(Array(5).fill(EXIT.unavailable));
  });
});

describe('CliError', () => {
  it("keeps the server's message and adds the fix for that status", () => {
    const error = CliError.fromResponse(429, "rate limit exceeded for tenant 'acme'", 'infer', '2');
    expect(error.message).toBe("infer: HTTP 429: rate limit exceeded for tenant 'acme'");
    expect(error.code).toBe(EXIT.unavailable);
    expect(error.hint).toContain('retry after 2 s');
    expect(hintOf(401)).toContain('falaj login');
    expect(hintOf(403)).toContain('scope');
  });

  it('tells a TLS failure (give the CA) from an unreachable gateway (check the address)', () => {
    const tls = CliError.fromNetwork(
      Object.assign(new Error('fetch failed'), { cause: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', message: 'unable to verify the first certificate' } }),
      'https://127.0.0.1:8080',
    );
    expect(tls.code).toBe(EXIT.unavailable);
    expect(tls.hint).toContain('--cacert');
    const refused = CliError.fromNetwork(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'https://127.0.0.1:8080');
    expect(refused.message).toContain('ECONNREFUSED');
    expect(refused.hint).toContain('npm start');
  });
});
