import { randomBytes } from 'node:crypto';
import { CONSOLE_CLIENT_ID, authorizationProblem, redemptionProblem, s256, type AuthorizationGrant } from './authorization-code.policy';

const REDIRECT = 'https://gateway.example/console/callback';
const verifier = randomBytes(32).toString('base64url');
const request = { response_type: 'code', client_id: CONSOLE_CLIENT_ID, redirect_uri: REDIRECT, code_challenge: s256(verifier), code_challenge_method: 'S256', state: 'xyz' };
const grant: AuthorizationGrant = { clientId: CONSOLE_CLIENT_ID, redirectUri: REDIRECT, codeChallenge: s256(verifier), accountId: 'acme.1f', expiresAt: 10_000 };
const redemption = { clientId: CONSOLE_CLIENT_ID, redirectUri: REDIRECT, codeVerifier: verifier };

describe('authorizationProblem', () => {
  it('takes a good request', () => {
    expect(authorizationProblem(request, [REDIRECT])).toBeNull();
  });
  it('never redirects for an unknown client or a redirect URI not registered exactly', () => {
    expect(authorizationProblem({ ...request, client_id: 'evil' }, [REDIRECT])).toMatchObject({ kind: 'show' });
    for (const uri of [`${REDIRECT}/`, `${REDIRECT}?x=1`, 'https://evil.example/console/callback', 'https://gateway.example/console/callback.evil', REDIRECT.toUpperCase(), undefined]) {
      expect(authorizationProblem({ ...request, redirect_uri: uri }, [REDIRECT])).toMatchObject({ kind: 'show', message: expect.stringContaining('redirect URI') });
    }
    expect(authorizationProblem(request, [])).toMatchObject({ kind: 'show' });
  });
  it('sends back a missing or plain challenge and another response type', () => {
    expect(authorizationProblem({ ...request, code_challenge_method: 'plain' }, [REDIRECT])).toMatchObject({ kind: 'redirect', error: 'invalid_request' });
    expect(authorizationProblem({ ...request, code_challenge_method: undefined }, [REDIRECT])).toMatchObject({ kind: 'redirect', error: 'invalid_request' });
    expect(authorizationProblem({ ...request, code_challenge: undefined }, [REDIRECT])).toMatchObject({ kind: 'redirect', error: 'invalid_request' });
    expect(authorizationProblem({ ...request, code_challenge: 'short' }, [REDIRECT])).toMatchObject({ kind: 'redirect', error: 'invalid_request' });
    expect(authorizationProblem({ ...request, response_type: 'token' }, [REDIRECT])).toMatchObject({ kind: 'redirect', error: 'unsupported_response_type' });
  });
});

describe('s256', () => {
  it("is RFC 7636 Appendix B's example", () => {
    expect(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
});

describe('redemptionProblem', () => {
  it('takes the right verifier, client and redirect URI before expiry', () => {
    expect(redemptionProblem(grant, redemption, 9_999)).toBeNull();
  });
  it('refuses a wrong verifier, or none', () => {
    expect(redemptionProblem(grant, { ...redemption, codeVerifier: randomBytes(32).toString('base64url') }, 0)).toBe('code_verifier does not match the code_challenge');
    // The challenge itself is no verifier (an attacker who saw the authorization request holds it).
    expect(redemptionProblem(grant, { ...redemption, codeVerifier: grant.codeChallenge }, 0)).toBe('code_verifier does not match the code_challenge');
    expect(redemptionProblem(grant, { ...redemption, codeVerifier: undefined }, 0)).toMatch(/code_verifier is required/);
  });
  it('refuses a reused code (the store hands a code out once: the second time it is null)', () => {
    expect(redemptionProblem(null, redemption, 0)).toBe('the code is unknown, already used, or expired');
  });
  it('refuses an expired code', () => {
    expect(redemptionProblem(grant, redemption, 10_000)).toBe('the code has expired');
  });
  it('refuses another redirect URI or another client', () => {
    expect(redemptionProblem(grant, { ...redemption, redirectUri: 'https://evil.example/console/callback' }, 0)).toMatch(/redirect_uri/);
    expect(redemptionProblem(grant, { ...redemption, redirectUri: undefined }, 0)).toMatch(/redirect_uri/);
    expect(redemptionProblem(grant, { ...redemption, clientId: 'other' }, 0)).toMatch(/another client/);
  });
});
