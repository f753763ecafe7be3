import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { request as undiciRequest } from 'undici';
import { Authenticator, InvalidTokenError } from '@falaj/auth';

/** Headers that describe one hop, not the message: never forwarded. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host',
]);

/** What the registry serves behind the gateway: the admin API, batch jobs and async inference. */
const PROXIED_PREFIXES = ['/admin', '/v2/batch', '/v2/async'];

const ASYNC_INFER = /^\/v2\/models\/([^/?]+)(?:\/versions\/([^/?]+))?\/infer(?:\?.*)?$/;

/**
 * The registry's routes go through as they came: body streamed (model uploads and batch inputs
 * are large), the caller's credential forwarded. The gateway turns away a missing or bad
 * credential itself, and the registry checks it again and applies scopes and tenancy (zero trust).
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
      scope.all(prefix, passThrough, (request, reply) => forward(request, reply, registryUrl, authenticator, request.url));
      scope.all(`${prefix}/*`, passThrough, (request, reply) => forward(request, reply, registryUrl, authenticator, request.url));
    }
  });

  // `Prefer: respond-async` on infer (RFC 7240): the request becomes a one-row job in the
  // registry and the answer is 202 with its Location, before any body parsing.
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST' || !/\brespond-async\b/i.test(String(request.headers.prefer ?? ''))) return;
    const match = ASYNC_INFER.exec(request.url);
    if (!match) return;
    const [, model, version] = match;
    const target = `/v2/async/models/${model}/infer${version ? `?version=${encodeURIComponent(decodeURIComponent(version))}` : ''}`;
    await forward(request, reply, registryUrl, authenticator, target);
    return reply;
  });
}

async function forward(
  request: FastifyRequest,
  reply: FastifyReply,
  registryUrl: string,
  authenticator: Authenticator,
  path: string,
): Promise<void> {
  try {
    await authenticator.authenticate(request.headers.authorization);
  } catch (error) {
    if (!(error instanceof InvalidTokenError)) throw error;
    await reply.status(401).send({ error: error.message });
    return;
  }
  const headers: Record<string, string> = { 'x-request-id': String(request.id), 'x-forwarded-for': request.ip };
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
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
  reply.status(upstream.statusCode);
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) void reply.header(name, value);
  }
  await reply.send(upstream.body);
}
