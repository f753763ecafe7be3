import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { MIRRORED_HASH_PRESENT_FIELD, apiKeysKey } from '@falaj/contracts';
import { AccessTokenVerifier, Authenticator, InvalidTokenError, RedisApiKeyVerifier, generateApiKey } from '@falaj/auth';
import { LocalIssuer } from '@falaj/testing';

/** Real Redis: the registry's mirror as the gateway and registry read it; a local ES256 issuer over HTTP for tokens. */
describe(RedisApiKeyVerifier.name, () => {
  const prefix = `falajtest-keys-${randomBytes(3).toString('hex')}`;
  const redis = new Redis(process.env.FALAJ_REDIS_URL ?? 'redis://127.0.0.1:6379');
  const issuer = new LocalIssuer();
  let tokens: AccessTokenVerifier;
  let authenticator: Authenticator;
  const key = generateApiKey();

  beforeAll(async () => {
    await issuer.start();
    tokens = new AccessTokenVerifier([issuer.trusted()], { clockToleranceSeconds: 5, maxLifetimeSeconds: 3600 });
    authenticator = new Authenticator(tokens, new RedisApiKeyVerifier(redis, prefix, { cacheMs: 200 }));
    // As the registry writes the mirror: its records and the field that says the hash is whole.
    await redis.hset(
      apiKeysKey(prefix),
      MIRRORED_HASH_PRESENT_FIELD,
      '1',
      key.id,
      JSON.stringify({ secretSha256: key.secretSha256, tenantId: 'acme', subject: `apikey:${key.id}`, scopes: ['infer'], residency: 'ae' }),
    );
  });
  afterAll(async () => {
    await redis.del(apiKeysKey(prefix));
    redis.disconnect();
    await issuer.stop();
  });

  describe('authenticate', () => {
    it('accepts a key as a Bearer or ApiKey credential, with its tenant, scopes and residency', async () => {
      const principal = { subject: `apikey:${key.id}`, tenantId: 'acme', scopes: ['infer'], residency: 'ae' };
      await expect(authenticator.authenticate(`Bearer ${key.key}`)).resolves.toEqual(principal);
      await expect(authenticator.authenticate(`ApiKey ${key.key}`)).resolves.toEqual(principal);
    });

    it('refuses a key whose secret does not match', async () => {
      const forged = `fj_${key.id}_${'A'.repeat(43)}`;
      await expect(authenticator.authenticate(`Bearer ${forged}`)).rejects.toThrow('unknown or revoked API key');
    });

    it('never grants the platform or a platform scope, whatever the Redis record says', async () => {
      const forged = generateApiKey();
      const platform = generateApiKey();
      await redis.hset(apiKeysKey(prefix), forged.id, JSON.stringify({ secretSha256: forged.secretSha256, tenantId: 'acme', subject: 'x', scopes: ['infer', 'platform:admin', 'artifacts:read'] }));
      await redis.hset(apiKeysKey(prefix), platform.id, JSON.stringify({ secretSha256: platform.secretSha256, tenantId: '_platform', subject: 'x', scopes: ['platform:admin'] }));
      await expect(authenticator.authenticate(`Bearer ${forged.key}`)).resolves.toMatchObject({ tenantId: 'acme', scopes: ['infer'] });
      await expect(authenticator.authenticate(`Bearer ${platform.key}`)).rejects.toThrow('API keys belong to tenants');
    });

    it('stops accepting a revoked key once the cache has expired', async () => {
      await redis.hdel(apiKeysKey(prefix), key.id);
      await new Promise((resolve) => setTimeout(resolve, 250)); // the cache window under test, not a wait for a side effect
      await expect(authenticator.authenticate(`Bearer ${key.key}`)).rejects.toBeInstanceOf(InvalidTokenError);
    });

    it('answers a retryable 503, not a 401, while Redis has lost the mirror, and 401 again once it is rewritten', async () => {
      const lost = generateApiKey();
      await redis.del(apiKeysKey(prefix));
      await expect(authenticator.authenticate(`Bearer ${lost.key}`)).rejects.toMatchObject({ status: 503, retryAfterSeconds: 1 });
      await redis.hset(apiKeysKey(prefix), MIRRORED_HASH_PRESENT_FIELD, '1');
      await expect(authenticator.authenticate(`Bearer ${lost.key}`)).rejects.toBeInstanceOf(InvalidTokenError);
    });

    it('still verifies access tokens, and refuses keys where no verifier is configured', async () => {
      const jwt = await issuer.sign({ sub: 'alice', tenant: 'acme', scope: '' });
      await expect(authenticator.authenticate(`Bearer ${jwt}`)).resolves.toMatchObject({ subject: 'alice' });
      await expect(new Authenticator(tokens).authenticate(`Bearer ${key.key}`)).rejects.toThrow('API keys are not accepted here');
    });
  });
});
