import { InvalidTokenError, SCOPES, TokenService, bearerToken } from '@falaj/auth';

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
