import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ANY_OF_SCOPES, IS_PUBLIC, REQUIRED_SCOPES, type AuthenticatedRequest } from './auth.decorators';
import { Authenticator } from './authenticator';
import { hasAnyScope, hasScopes, type Principal } from './principal';
import type { Scope } from './scopes';
import { InvalidTokenError } from './invalid-token.error';

/**
 * Global guard: every route needs a valid bearer token unless marked @Public(). The onRequest
 * authentication (authenticateOnRequest) has usually verified it already, before the body was
 * read; its principal is reused rather than verified twice.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const required = this.reflector.getAllAndOverride<Scope[] | undefined>(REQUIRED_SCOPES, targets) ?? [];
    const anyOf = this.reflector.getAllAndOverride<Scope[] | undefined>(ANY_OF_SCOPES, targets) ?? [];
    await authorize(context.switchToHttp().getRequest<AuthenticatedRequest>(), this.authenticator, required, anyOf);
    return true;
  }
}

/**
 * The guard's check, for Nest's routes and the raw Fastify routes alike: the principal the
 * onRequest hook verified (or the credential verified now), then all of `required` and one of
 * `anyOf`. Throws 401/403 as Nest exceptions, which the one error filter (sendError) shapes.
 */
export async function authorize(request: AuthenticatedRequest, authenticator: Authenticator, required: readonly Scope[], anyOf: readonly Scope[] = []): Promise<Principal> {
  if (!request.principal) {
    try {
      request.principal = await authenticator.authenticate(request.headers.authorization);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new UnauthorizedException(error.message);
      throw error;
    }
  }
  if (!hasScopes(request.principal, required)) {
    throw new ForbiddenException(`requires scope ${required.join(', ')}`);
  }
  if (!hasAnyScope(request.principal, anyOf)) {
    throw new ForbiddenException(`requires scope ${anyOf.join(' or ')}`);
  }
  return request.principal;
}
