import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { request as undiciRequest } from 'undici';
import { Authenticator, InvalidTokenError, type AuthenticatedRequest } from '@falaj/auth';
import { DomainError, errorCodeOf, retryAfterHeader } from '@falaj/contracts';
import { TRACEPARENT_HEADER, requestTrace, tracing } from '@falaj/tracing';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, type KeptAnswer } from '../idempotency/idempotency.policy';
import type { IdempotencyService, StreamedCall } from '../idempotency/idempotency.service';
import { forwardedRequestHeaders, returnedResponseHeaders } from './proxy-headers';
import { proxiedIdempotency } from './proxy-idempotency.policy';
import { PROXIED_PREFIXES, proxiedPath } from './proxy-path';
import { RegistryProxyError } from './registry-proxy.exception';

interface ProxyDeps {
  registryUrl: string;
  authenticator: Authenticator;
  idempotency: IdempotencyService;
}

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
export function registerRegistryProxy(fastify: FastifyInstance, deps: ProxyDeps): void {
  void fastify.register(async (scope) => {
    // Leave bodies unread: the registry parses them.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    // Bytes pass through untouched both ways: no inflating uploads, no recompressing answers
    // (which would also hold back a streamed NDJSON or server-sent-events answer).
    const passThrough = { compress: false, decompress: false } as const;
    for (const prefix of PROXIED_PREFIXES) {
      for (const url of [prefix, `${prefix}/*`]) {
        scope.route({ method: PROXIED_METHODS, url, ...passThrough, handler: (request, reply) => forward(request, reply, deps, request.url) });
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
    await forward(request, reply, deps, target);
    return reply;
  });
}

async function forward(request: FastifyRequest & AuthenticatedRequest, reply: FastifyReply, deps: ProxyDeps, url: string): Promise<void> {
  let path: string;
  try {
    path = proxiedPath(url);
    // Authenticated on request already; a route registered outside that hook still is not open.
    request.principal ??= await deps.authenticator.authenticate(request.headers.authorization);
  } catch (error) {
    if (error instanceof RegistryProxyError) return void (await reply.status(error.status).send({ error: error.message, code: error.code }));
    if (error instanceof InvalidTokenError) return void (await reply.status(401).send({ error: error.message, code: 'unauthorized' }));
    throw error;
  }
  const headers = forwardedRequestHeaders(request.headers, { requestId: String(request.id), clientIp: request.ip, protocol: request.protocol, host: request.host });
  // The registry's span joins the gateway's (a job's rows join it in turn): the tracer's context, never the caller's header as it came.
  const traceparent = tracing().traceparentOf(requestTrace(request));
  if (traceparent !== undefined) headers[TRACEPARENT_HEADER] = traceparent;
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'DELETE';
  const send = (body: Readable | undefined) => undiciRequest(`${deps.registryUrl}${path}`, { method: request.method as 'GET', headers, body }).catch(() => null);

  const key = request.headers[IDEMPOTENCY_KEY_HEADER];
  const rule = key === undefined ? { kind: 'ignored' as const } : proxiedIdempotency(request.method, path);
  if (rule.kind === 'refused') return void (await reply.status(400).send({ error: rule.message, code: 'bad_request' }));
  if (rule.kind === 'ignored') {
    const upstream = await send(hasBody ? request.raw : undefined);
    if (!upstream) return void (await reply.status(502).send({ error: 'the registry is unreachable', code: 'registry_unreachable' }));
    return void (await reply.status(upstream.statusCode).headers(returnedResponseHeaders(upstream.headers)).send(upstream.body));
  }
  // Kept for retries: the registry's answer is read whole (a POST's answer is a small JSON object).
  const call: StreamedCall = {
    tenantId: request.principal.tenantId,
    // Two keys on one request name no one request: refused as a malformed key.
    key: Array.isArray(key) ? '' : String(key),
    head: ['proxied', request.method, path, String(request.headers['content-type'] ?? '')],
  };
  let answer: KeptAnswer & { replayed: boolean };
  try {
    answer = await deps.idempotency.onceStreamed(call, request.raw, async (body) => {
      const upstream = await send(body);
      if (!upstream) throw new RegistryProxyError(502, 'the registry is unreachable', 'registry_unreachable');
      const bytes = Buffer.from(await upstream.body.arrayBuffer());
      return { status: upstream.statusCode, headers: keptHeaders(upstream.headers), body: bytes };
    });
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const retryAfter = retryAfterHeader(error);
    if (retryAfter !== undefined) void reply.header('retry-after', retryAfter);
    return void (await reply.status(error.status).send({ error: error.message, code: errorCodeOf(error, error.status) }));
  }
  if (answer.replayed) void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
  await reply.status(answer.status).headers(answer.headers).send(answer.body);
}

/** The returned headers of an answer kept for replay, as single strings, without its length (set on sending). */
function keptHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(returnedResponseHeaders(headers))) {
    if (name !== 'content-length') kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

/** A malformed escape stays as written; proxiedPath refuses what matters of it. */
function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
