import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { request as undiciRequest } from 'undici';
import { markRoutePublic } from '@falaj/auth';
import { forwardedRequestHeaders, returnedResponseHeaders } from './proxy-headers';

/**
 * The built-in issuer's browser-facing endpoints through the gateway, so the console speaks to one
 * origin only: the sign-in page and its form (`/oauth2/authorize`) and the code exchange
 * (`/oauth2/token`). Public, as at the registry: they authenticate the user and the client
 * themselves. The same allow-listed headers as the admin proxy, plus the page's own CSP (the
 * gateway's JSON-only default would refuse its stylesheet). The path is fixed: no query
 * reaches anything but these two endpoints.
 */
export const ISSUER_ROUTES: readonly { method: 'GET' | 'POST'; url: string }[] = [
  { method: 'GET', url: '/oauth2/authorize' },
  { method: 'POST', url: '/oauth2/authorize' },
  { method: 'POST', url: '/oauth2/token' },
];

export function registerIssuerProxy(fastify: FastifyInstance, registryUrl: string): void {
  void fastify.register(async (scope) => {
    scope.addHook('onRoute', markRoutePublic);
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    for (const route of ISSUER_ROUTES) {
      scope.route({ ...route, compress: false, decompress: false, handler: (request, reply) => forward(request, reply, registryUrl, route.url) });
    }
  });
}

async function forward(request: FastifyRequest, reply: FastifyReply, registryUrl: string, path: string): Promise<void> {
  const queryAt = request.url.indexOf('?');
  const query = queryAt === -1 ? '' : request.url.slice(queryAt);
  const headers = forwardedRequestHeaders(request.headers, { requestId: String(request.id), clientIp: request.ip, protocol: request.protocol, host: request.host });
  const upstream = await undiciRequest(`${registryUrl}${path}${query}`, {
    method: request.method as 'GET' | 'POST',
    headers,
    body: request.method === 'POST' ? request.raw : undefined,
  }).catch(() => null);
  if (!upstream) return void (await reply.status(502).send({ error: 'the issuer is unreachable', code: 'issuer_unreachable' }));
  const csp = upstream.headers['content-security-policy'];
  if (typeof csp === 'string') void reply.header('content-security-policy', csp);
  await reply.status(upstream.statusCode).headers(returnedResponseHeaders(upstream.headers)).send(upstream.body);
}
