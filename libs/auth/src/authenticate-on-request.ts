import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { PUBLIC_ROUTE, type AuthenticatedRequest } from './auth.decorators';
import type { Authenticator } from './authenticator';
import { InvalidTokenError } from './invalid-token.error';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answers without credentials (see Public() and markRoutePublic). */
    falajPublic?: boolean;
  }
}

/** The route config of a raw Fastify route that answers without credentials (e.g. static pages). */
export const PUBLIC_ROUTE_CONFIG = { [PUBLIC_ROUTE]: true } as const;

/** Marks a raw route public as it is registered (an `onRoute` hook of the scope that serves it). */
export function markRoutePublic(route: RouteOptions): void {
  route.config = { ...route.config, ...PUBLIC_ROUTE_CONFIG };
}

export function isPublicRoute(request: FastifyRequest): boolean {
  return request.routeOptions.config?.[PUBLIC_ROUTE] === true;
}

/**
 * A Fastify `onRequest` hook: the credential is checked before the body is read, inflated or
 * parsed (onRequest runs before content-type parsing and the decompression of preParsing), so an
 * anonymous caller costs a header check, never a body. The principal is kept on the request for
 * the guard and the raw routes. Scopes stay the guard's (they are per handler). Unknown routes are
 * not public either: an anonymous caller gets 401 there too, before any body is read.
 */
export function authenticateOnRequest(authenticator: Authenticator) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (isPublicRoute(request)) return;
    try {
      (request as FastifyRequest & AuthenticatedRequest).principal = await authenticator.authenticate(request.headers.authorization);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      // The unread body is drained by Node and dropped as it arrives: never buffered or inflated.
      await reply.status(401).header('content-type', 'application/json').send({ error: error.message, code: 'unauthorized' });
    }
  };
}
