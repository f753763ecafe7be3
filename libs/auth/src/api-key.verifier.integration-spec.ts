import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { apiKeysKey } from '@falaj/contracts';
import { Authenticator, InvalidTokenError, RedisApiKeyVerifier, TokenService, generateApiKey } from '@falaj/auth';

/** Real Redis: the registry's mirror as the gateway and registry read it. */
describe(RedisApiKeyVerifier.name, () => {
  const prefix = `falajtest-keys-${randomBytes(3).toString('hex')}`;
  const redis = new Redis(process.env.FALAJ_REDIS_URL ?? 'redis://127.0.0.1:6379');
  const tokens = new TokenService('s'.repeat(32));
  const authenticator = new Authenticator(tokens, new RedisApiKeyVerifier(redis, prefix, { cacheMs: 200 }));
  const key = generateApiKey();

  beforeAll(async () => {
    await redis.hset(apiKeysKey(prefix), key.id, JSON.stringify({ secretSha256: key.secretSha256, tenantId: 'acme', subject: `apikey:${key.id}`, scopes: ['infer'], residency: 'ae' }));
  });
  afterAll(async () => {
    await redis.del(apiKeysKey(prefix));
    redis.disconnect();
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

    it('stops accepting a revoked key once the cache has expired', async () => {
      await redis.hdel(apiKeysKey(prefix), key.id);
      await new Promise((resolve) => setTimeout(resolve, 250)); // the cache window under test, not a wait for a side effect
      await expect(authenticator.authenticate(`Bearer ${key.key}`)).rejects.toBeInstanceOf(InvalidTokenError);
    });

    it('still verifies JWTs, and refuses keys where no verifier is configured', async () => {
      const jwt = await tokens.sign({ subject: 'alice', tenantId: 'acme', scopes: [] }, 60);
      await expect(authenticator.authenticate(`Bearer ${jwt}`)).resolves.toMatchObject({ subject: 'alice' });
      await expect(new Authenticator(tokens).authenticate(`Bearer ${key.key}`)).rejects.toThrow('API keys are not accepted here');
    });
  });
});
