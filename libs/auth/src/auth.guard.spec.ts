import { ForbiddenException, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RequireAnyScope, RequireScopes } from './auth.decorators';
import { AuthGuard } from './auth.guard';
import type { Authenticator } from './authenticator';
import type { Principal } from './principal';
import { SCOPES } from './scopes';

class Audit {
  @RequireAnyScope(SCOPES.auditRead, SCOPES.platformAdmin)
  read(): void {}

  @RequireScopes(SCOPES.modelsRead)
  @RequireAnyScope(SCOPES.auditRead, SCOPES.platformAdmin)
  both(): void {}
}

/** The guard over a request that already carries its principal (as after the onRequest authentication). */
const check = (handler: () => void, scopes: string[]): Promise<boolean> => {
  const principal: Principal = { subject: 's', tenantId: 'acme', scopes };
  const context = {
    getHandler: () => handler,
    getClass: () => Audit,
    switchToHttp: () => ({ getRequest: () => ({ headers: {}, principal }) }),
  } as unknown as ExecutionContext;
  return new AuthGuard(new Reflector(), {} as Authenticator).canActivate(context);
};

describe(AuthGuard.name, () => {
  describe('canActivate', () => {
    it('lets through a caller holding any one of RequireAnyScope', async () => {
      await expect(check(Audit.prototype.read, [SCOPES.auditRead])).resolves.toBe(true);
      await expect(check(Audit.prototype.read, [SCOPES.platformAdmin])).resolves.toBe(true);
    });

    it('refuses a caller holding none of them, naming them', async () => {
      await expect(check(Audit.prototype.read, [SCOPES.infer])).rejects.toThrow(new ForbiddenException('requires scope audit:read or platform:admin'));
      await expect(check(Audit.prototype.read, [])).rejects.toBeInstanceOf(ForbiddenException);
    });

    it('still needs every RequireScopes scope besides one of the any-of', async () => {
      await expect(check(Audit.prototype.both, [SCOPES.auditRead])).rejects.toThrow('requires scope models:read');
      await expect(check(Audit.prototype.both, [SCOPES.modelsRead])).rejects.toThrow('requires scope audit:read or platform:admin');
      await expect(check(Audit.prototype.both, [SCOPES.modelsRead, SCOPES.platformAdmin])).resolves.toBe(true);
    });
  });
});
