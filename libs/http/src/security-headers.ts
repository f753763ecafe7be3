import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The standard headers on every answer of every app (OWASP's REST Security cheat sheet): no
 * MIME sniffing, no framing, no referrer, nothing cached (answers are per caller), and a CSP that
 * lets a JSON answer load nothing. A page that needs more (the gateway's /docs) sets its own CSP,
 * a route that may be cached (JWKS, static assets) its own Cache-Control. No
 * Strict-Transport-Security: the apps speak plain HTTP behind the TLS terminator, which sets it.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
});

/** onRequest, first of all hooks: set before anything can answer, so a 401 or 413 carries them too. */
export function setSecurityHeaders(_request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  void reply.headers(SECURITY_HEADERS);
  done();
}
