import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { request as undiciRequest } from 'undici';
import { Authenticator, InvalidTokenError, type AuthenticatedRequest } from '@falaj/auth';
import { forwardedRequestHeaders, returnedResponseHeaders } from './proxy-headers';
import { PROXIED_PREFIXES, proxiedPath } from './proxy-path';
import { RegistryProxyError } from './registry-proxy.exception';

/** The methods the registry's API uses (HEAD comes with GET); nothing else is forwarded. */
const PROXIED_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

const ASYNC_INFER = /^\/v2\/models\/([^/?]+)(?:\/versions\/([^/?]+))?\/infer(?:\?.*)?$/;

/**
 * The registry's routes go through the gateway: body streamed (model uploads and batch inputs
 * are large), the caller's credential forwarded. The path is normalised and checked (proxiedPath),
 * request and response headers are allow-listed, and X-Forwarded-* are the gateway's own. The
 * caller was authenticated before the body was read (authenticateOnRequest); the registry checks
 * the credential again and applies scopes and tenancy (zero trust).
 */
export function registerRegistryProxy(fastify: FastifyInstance, registryUrl: string, authenticator: Authenticator): void {
  void fastify.register(async (scope) => {
    // Leave bodies unread: the registry parses them.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    // Bytes pass through untouched both ways: no inflating uploads, no recompressing answers
    // (which would also hold back a streamed NDJSON or server-sent-events answer).
    const passThrough = { compress: false, decompress: false } as const;
    for (const prefix of PROXIED_PREFIXES) {
      for (const url of [prefix, `${prefix}/*`]) {
        scope.route({ method: PROXIED_METHODS, url, ...passThrough, handler: (request, reply) => forward(request, reply, registryUrl, authenticator, request.url) });
      }
    }
  });

  // `Prefer: respond-async` on infer (RFC 7240): the request becomes a one-row job in the
  // registry and the answer is 202 with its Location, before any body parsing.
  fastify.addHook('onRequest', async (request, reply) => {
    if (reply.sent || request.method !== 'POST' || !/\brespond-async\b/i.test(String(request.headers.prefer ?? ''))) return;
    const match = ASYNC_INFER.exec(request.url);
    if (!match) return;
    const [, model, version] = match;
    const target = `/v2/async/models/${model}/infer${version ? `?version=${encodeURIComponent(safeDecode(version))}` : ''}`;
    await forward(request, reply, registryUrl, authenticator, target);
    return reply;
  });
}

async function forward(
  request: FastifyRequest & AuthenticatedRequest,
  reply: FastifyReply,
  registryUrl: string,
  authenticator: Authenticator,
  url: string,
): Promise<void> {
  let path: string;
  try {
    path = proxiedPath(url);
    // Authenticated on request already; a route registered outside that hook still is not open.
    request.principal ??= await authenticator.authenticate(request.headers.authorization);
  } catch (error) {
    if (error instanceof RegistryProxyError) return void (await reply.status(error.status).send({ error: error.message }));
    if (error instanceof InvalidTokenError) return void (await reply.status(401).send({ error: error.message }));
    throw error;
  }
  const headers = forwardedRequestHeaders(request.headers, { requestId: String(request.id), clientIp: request.ip, protocol: request.protocol, host: request.host });
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'DELETE';
  const upstream = await undiciRequest(`${registryUrl}${path}`, {
    method: request.method as 'GET',
    headers,
    body: hasBody ? request.raw : undefined,
  }).catch(() => null);
  if (!upstream) {
    await reply.status(502).send({ error: 'the registry is unreachable' });
    return;
  }
  await reply.status(upstream.statusCode).headers(returnedResponseHeaders(upstream.headers)).send(upstream.body);
}

/** A malformed escape stays as written; proxiedPath refuses what matters of it. */
function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
