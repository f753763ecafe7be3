import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { request as undiciRequest } from 'undici';
import { Authenticator, InvalidTokenError } from '@falaj/auth';

/** Headers that describe one hop, not the message: never forwarded. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host',
]);

/**
 * `/admin/*` goes to the registry as it came: body streamed (model uploads are large), the
 * caller's token forwarded. The gateway turns away a missing or bad token itself, and the
 * registry checks the token again and applies scopes and tenancy (zero trust).
 */
export function registerAdminProxy(fastify: FastifyInstance, registryUrl: string, authenticator: Authenticator): void {
  void fastify.register(async (scope) => {
    // Leave bodies unread: the registry parses them.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    // Bytes pass through untouched both ways: no inflating uploads, no recompressing answers.
    const passThrough = { compress: false, decompress: false } as const;
    scope.all('/admin', passThrough, (request, reply) => forward(request, reply, registryUrl, authenticator));
    scope.all('/admin/*', passThrough, (request, reply) => forward(request, reply, registryUrl, authenticator));
  });
}

async function forward(request: FastifyRequest, reply: FastifyReply, registryUrl: string, authenticator: Authenticator): Promise<void> {
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
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const upstream = await undiciRequest(`${registryUrl}${request.url}`, {
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
