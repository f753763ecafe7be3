import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { Principal } from './principal';
import type { Scope } from './scopes';

export const IS_PUBLIC = 'falaj:public';
export const REQUIRED_SCOPES = 'falaj:scopes';
/** Scopes of which a caller needs at least one (on top of REQUIRED_SCOPES): a route two kinds of account share. */
export const ANY_OF_SCOPES = 'falaj:any-of-scopes';
/** The key of a Fastify route's `config` that marks it public to the onRequest authentication. */
export const PUBLIC_ROUTE = 'falajPublic';

/**
 * Answers without credentials: health and metrics only. One mark for both checks: the guard
 * reads IS_PUBLIC, and the onRequest hook (which runs before Nest knows the handler) reads the
 * Fastify route config Nest's adapter builds from the handler's `@RouteConfig` metadata. On a
 * class, every method gets that config (Nest reads route config from the method only).
 */
export const Public = (): MethodDecorator & ClassDecorator =>
  ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) {
      markPublicHandler(descriptor.value as object);
      return SetMetadata(IS_PUBLIC, true)(target, key!, descriptor);
    }
    const prototype = (target as { prototype: Record<string, unknown> }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = prototype[name];
      if (name !== 'constructor' && typeof method === 'function') markPublicHandler(method);
    }
    return SetMetadata(IS_PUBLIC, true)(target as () => void);
  }) as MethodDecorator & ClassDecorator;

function markPublicHandler(handler: object): void {
  const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as Record<string, unknown> | undefined) ?? {};
  Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, [PUBLIC_ROUTE]: true }, handler);
}

export const RequireScopes = (...scopes: Scope[]): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_SCOPES, scopes);

/**
 * At least one of these scopes: for a route a tenant's account and a platform account both use
 * (a tenant's credential never holds a platform scope, so one scope cannot name both). The
 * handler still decides what each may see.
 */
export const RequireAnyScope = (...scopes: [Scope, Scope, ...Scope[]]): MethodDecorator & ClassDecorator => SetMetadata(ANY_OF_SCOPES, scopes);

export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  /** Set by the onRequest authentication (before the body is read) or by the guard. */
  principal?: Principal;
}

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  // The guard runs first on every non-public route; reaching here without one is a wiring bug.
  if (!principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return principal;
});
