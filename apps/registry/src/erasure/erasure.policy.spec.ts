import { PLATFORM_TENANT, type Principal } from '@falaj/auth';
import { erasureTenantOf } from './erasure.policy';

const principal = (tenantId: string, scopes: string[]): Principal => ({ tenantId, subject: 's', scopes });

describe('erasureTenantOf', () => {
  it('a platform admin erases in the tenant it names, and must name one', () => {
    expect(erasureTenantOf(principal(PLATFORM_TENANT, ['platform:admin']), 'acme')).toBe('acme');
    expect(() => erasureTenantOf(principal(PLATFORM_TENANT, ['platform:admin']), undefined)).toThrow(expect.objectContaining({ status: 400 }));
  });

  it("a tenant's account erases in its own tenant only", () => {
    expect(erasureTenantOf(principal('acme', ['audit:erase']), undefined)).toBe('acme');
    expect(erasureTenantOf(principal('acme', ['audit:erase']), 'acme')).toBe('acme');
    expect(() => erasureTenantOf(principal('acme', ['audit:erase']), 'globex')).toThrow(expect.objectContaining({ status: 403 }));
  });

  it('platform:admin counts only on a platform account', () => {
    expect(erasureTenantOf(principal('acme', ['platform:admin']), undefined)).toBe('acme');
    expect(() => erasureTenantOf(principal('acme', ['platform:admin']), 'globex')).toThrow(expect.objectContaining({ status: 403 }));
  });
});
