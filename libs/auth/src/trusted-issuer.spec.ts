import { InvalidTokenError } from './invalid-token.error';
import { TrustedIssuerSchema, claimAt, principalOf } from './trusted-issuer';

describe('principalOf', () => {
  const external = TrustedIssuerSchema.parse({ issuer: 'https://idp.example/realms/acme' });

  it('reads the default claims: sub, tenant, scope, residency', () => {
    expect(principalOf(external, { sub: 'a', tenant: 'acme', scope: 'infer openid profile', residency: 'ae' })).toEqual({
      subject: 'a',
      tenantId: 'acme',
      scopes: ['infer'],
      residency: 'ae',
      issuer: 'https://idp.example/realms/acme',
    });
  });

  it('reads scopes from an array at a dotted path (Keycloak realm roles)', () => {
    const roles = TrustedIssuerSchema.parse({ issuer: 'https://idp.example/r', claims: { scopes: 'realm_access.roles', tenant: 'ext.tenant' } });
    expect(principalOf(roles, { sub: 'a', ext: { tenant: 'acme' }, realm_access: { roles: ['infer', 'models:write', 'offline_access'] } }).scopes).toEqual(['infer', 'models:write']);
  });

  it('never grants platform scopes to a tenant, and accepts the platform tenant only from an issuer that may grant them', () => {
    const platform = TrustedIssuerSchema.parse({ issuer: 'https://idp.example/p', allowedScopes: ['infer', 'platform:admin'] });
    expect(principalOf(platform, { sub: 'a', tenant: 'acme', scope: 'infer platform:admin' }).scopes).toEqual(['infer']);
    expect(principalOf(platform, { sub: 'op', tenant: '_platform', scope: 'platform:admin' }).scopes).toEqual(['platform:admin']);
    expect(() => principalOf(external, { sub: 'op', tenant: '_platform', scope: 'platform:admin' })).toThrow(InvalidTokenError);
  });

  it('holds an issuer to its tenants', () => {
    const fixed = TrustedIssuerSchema.parse({ issuer: 'https://idp.example/t', tenant: 'acme' });
    expect(principalOf(fixed, { sub: 'a' }).tenantId).toBe('acme');
    expect(() => principalOf(fixed, { sub: 'a', tenant: 'globex' })).toThrow('does not speak for');
    const listed = TrustedIssuerSchema.parse({ issuer: 'https://idp.example/l', tenants: ['acme'] });
    expect(() => principalOf(listed, { sub: 'a', tenant: 'globex' })).toThrow('does not speak for');
  });

  it('refuses a token without subject or tenant, or with a malformed tenant', () => {
    expect(() => principalOf(external, { tenant: 'acme' })).toThrow('subject');
    expect(() => principalOf(external, { sub: 'a' })).toThrow('tenant');
    expect(() => principalOf(external, { sub: 'a', tenant: '../../x' })).toThrow('does not speak for');
  });
});

describe('claimAt', () => {
  it('prefers a flat claim whose name has dots, then walks the path', () => {
    expect(claimAt({ 'a.b': 1, a: { b: 2 } }, 'a.b')).toBe(1);
    expect(claimAt({ a: { b: 2 } }, 'a.b')).toBe(2);
    expect(claimAt({ a: 'x' }, 'a.b')).toBeUndefined();
  });
});

describe('TrustedIssuerSchema', () => {
  it('refuses symmetric algorithms and none', () => {
    expect(TrustedIssuerSchema.safeParse({ issuer: 'https://i.example', algorithms: ['HS256'] }).success).toBe(false);
    expect(TrustedIssuerSchema.safeParse({ issuer: 'https://i.example', algorithms: ['none'] }).success).toBe(false);
  });
});
