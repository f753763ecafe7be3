import { SignJWT, base64url } from 'jose';
import { LocalIssuer } from '@falaj/testing';
import { AccessTokenVerifier } from './access-token.verifier';
import { InvalidTokenError } from './invalid-token.error';

/** Over a real loopback issuer (discovery and JWKS over HTTP), as an app meets any IdP. */
describe(AccessTokenVerifier.name, () => {
  const issuer = new LocalIssuer();
  const options = { clockToleranceSeconds: 5, maxLifetimeSeconds: 3600, keys: { refetchCooldownMs: 300 } };
  let verifier: AccessTokenVerifier;
  const claims = { sub: 'svc-acme', tenant: 'acme', scope: 'infer models:read', residency: 'ae' };

  beforeAll(() => issuer.start());
  afterAll(() => issuer.stop());
  beforeEach(() => (verifier = new AccessTokenVerifier([issuer.trusted()], options)));

  describe('verify', () => {
    it('accepts a token of a trusted issuer and maps its claims', async () => {
      await expect(verifier.verify(await issuer.sign(claims))).resolves.toEqual({
        subject: 'svc-acme',
        tenantId: 'acme',
        scopes: ['infer', 'models:read'],
        residency: 'ae',
        issuer: issuer.url,
      });
    });

    it("refuses alg 'none'", async () => {
      const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      const now = Math.floor(Date.now() / 1000);
      const payload = base64url.encode(JSON.stringify({ ...claims, iss: issuer.url, aud: 'falaj', iat: now, exp: now + 60 }));
      await expect(verifier.verify(`${header}.${payload}.`)).rejects.toThrow('algorithm that is not allowed');
    });

    it('refuses HS256 signed with the public key (the algorithm-confusion attack)', async () => {
      const now = Math.floor(Date.now() / 1000);
      const publicKeyAsSecret = new TextEncoder().encode(JSON.stringify(issuer.publicJwk));
      const forged = await new SignJWT({ ...claims, iss: issuer.url, aud: 'falaj', iat: now, exp: now + 60 }).setProtectedHeader({ alg: 'HS256', kid: issuer.publicJwk.kid }).sign(publicKeyAsSecret);
      await expect(verifier.verify(forged)).rejects.toThrow('algorithm that is not allowed');
    });

    it('refuses an expired token, a token not yet valid, and one issued in the future (beyond the skew)', async () => {
      const now = Math.floor(Date.now() / 1000);
      await expect(verifier.verify(await issuer.sign({ ...claims, iat: now - 600, exp: now - 60 }))).rejects.toThrow('expired');
      await expect(verifier.verify(await issuer.sign({ ...claims, nbf: now + 120 }))).rejects.toThrow('nbf');
      await expect(verifier.verify(await issuer.sign({ ...claims, iat: now + 120, exp: now + 400 }))).rejects.toThrow('future');
      // Within the skew is fine.
      await expect(verifier.verify(await issuer.sign({ ...claims, nbf: now + 3 }))).resolves.toMatchObject({ tenantId: 'acme' });
    });

    it('refuses a token without exp, and one that lives longer than allowed', async () => {
      const now = Math.floor(Date.now() / 1000);
      await expect(verifier.verify(await issuer.sign({ ...claims, exp: undefined }))).rejects.toThrow('exp');
      await expect(verifier.verify(await issuer.sign({ ...claims, iat: now, exp: now + 365 * 86400 }))).rejects.toThrow('lives longer');
    });

    it('refuses a wrong audience and an issuer that is not configured', async () => {
      await expect(verifier.verify(await issuer.sign({ ...claims, aud: 'someone-else' }))).rejects.toThrow('aud');
      await expect(verifier.verify(await issuer.sign({ ...claims, iss: 'http://127.0.0.1:1/evil' }))).rejects.toThrow('not trusted');
      await expect(verifier.verify('not.a.jwt')).rejects.toThrow(InvalidTokenError);
    });

    it('refuses an unknown kid after one refetch, and rate-limits refetches', async () => {
      const before = issuer.jwksFetches;
      await expect(verifier.verify(await issuer.sign(claims, { key: 'unpublished' }))).rejects.toThrow('does not publish');
      const afterOne = issuer.jwksFetches;
      for (let i = 0; i < 5; i++) await expect(verifier.verify(await issuer.sign(claims, { key: 'unpublished', kid: `forged-${i}` }))).rejects.toThrow(InvalidTokenError);
      expect(afterOne - before).toBeLessThanOrEqual(2); // discovery's first fetch, and at most one refetch
      expect(issuer.jwksFetches).toBe(afterOne); // the flood within the cooldown fetched nothing more
    });

    it('follows a key rotation: a token signed by a newly published key is accepted', async () => {
      await verifier.verify(await issuer.sign(claims)); // key set cached
      await issuer.addKey('ES256');
      await new Promise((resolve) => setTimeout(resolve, 350)); // past the refetch cooldown under test
      await expect(verifier.verify(await issuer.sign(claims))).resolves.toMatchObject({ subject: 'svc-acme' });
    });

    it('applies the revocation check on every use, cached or not', async () => {
      let revoked = false;
      const checked = new AccessTokenVerifier([issuer.trusted()], { ...options, revocations: { isRevoked: () => revoked } });
      const token = await issuer.sign(claims);
      await expect(checked.verify(token)).resolves.toMatchObject({ tenantId: 'acme' });
      revoked = true;
      await expect(checked.verify(token)).rejects.toThrow('revoked');
    });
  });
});
