import { InvalidTokenError, SCOPES, TokenService, bearerToken, credentialOf, generateApiKey, parseApiKey, secretMatches } from '@falaj/auth';

const principal = { subject: 'alice', tenantId: 'acme', scopes: [SCOPES.infer, SCOPES.modelsRead], residency: 'ae' };

describe(TokenService.name, () => {
  const tokens = new TokenService('s'.repeat(32));

  describe('verify', () => {
    it('returns the principal a token was signed for', async () => {
      const token = await tokens.sign(principal, 60);
      await expect(tokens.verify(token)).resolves.toEqual(principal);
    });

    it('rejects a token signed with another secret', async () => {
      const forged = await new TokenService('t'.repeat(32)).sign(principal, 60);
      await expect(tokens.verify(forged)).rejects.toBeInstanceOf(InvalidTokenError);
    });

    it('rejects an expired token', async () => {
      const token = await tokens.sign(principal, -10);
      await expect(tokens.verify(token)).rejects.toThrow('token has expired');
    });

    it('answers a token it has verified from memory, and still refuses it once expired', async () => {
      const token = await tokens.sign(principal, 1);
      await expect(tokens.verify(token)).resolves.toEqual(principal);
      await expect(tokens.verify(token)).resolves.toEqual(principal);
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] }).setSystemTime(Date.now() + 2000);
      try {
        await expect(tokens.verify(token)).rejects.toThrow('token has expired');
      } finally {
        jest.useRealTimers();
      }
    });

    it('does not accept a token that differs from a verified one by its signature', async () => {
      const token = await tokens.sign(principal, 60);
      await tokens.verify(token);
      const tampered = `${token.slice(0, -2)}${token.endsWith('A') ? 'B' : 'A'}A`;
      await expect(tokens.verify(tampered)).rejects.toBeInstanceOf(InvalidTokenError);
    });

    it('rejects garbage', async () => {
      await expect(tokens.verify('not.a.jwt')).rejects.toBeInstanceOf(InvalidTokenError);
    });
  });
});

describe('bearerToken', () => {
  it('extracts the token of a Bearer header, case-insensitively', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc')).toBe('abc');
  });

  it('returns null for other schemes and empty headers', () => {
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken('Bearer ')).toBeNull();
  });
});

describe('credentialOf', () => {
  it('reads Bearer and ApiKey credentials, case-insensitively', () => {
    expect(credentialOf('Bearer fj_abc_def')).toEqual({ scheme: 'bearer', value: 'fj_abc_def' });
    expect(credentialOf('apikey fj_abc_def')).toEqual({ scheme: 'apikey', value: 'fj_abc_def' });
  });

  it('returns null for other schemes, and bearerToken ignores ApiKey', () => {
    expect(credentialOf('Basic abc')).toBeNull();
    expect(bearerToken('ApiKey fj_abc_def')).toBeNull();
  });
});

describe('API keys', () => {
  it('generates keys of the documented shape whose secret matches only its own hash', () => {
    const key = generateApiKey();
    const parsed = parseApiKey(key.key);
    expect(parsed).toEqual({ id: key.id, secret: key.secret });
    expect(secretMatches(key.secret, key.secretSha256)).toBe(true);
    expect(secretMatches(generateApiKey().secret, key.secretSha256)).toBe(false);
  });

  it.each(['fj_short_secret', `fj_${'a'.repeat(12)}_${'b'.repeat(42)}`, `fj_${'A'.repeat(12)}_${'b'.repeat(43)}`, 'eyJhbGciOi.x.y'])('does not parse %j as a key', (value) => {
    expect(parseApiKey(value)).toBeNull();
  });
});
