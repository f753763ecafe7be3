import type { IncomingHttpHeaders } from 'node:http';

/**
 * Request headers the registry is sent (everything else stays at the gateway: cookies, a client's
 * `Forwarded`/`X-Forwarded-*`/`X-Real-IP`, hop-by-hop headers, anything internal-looking): the
 * credential, the body's description, content negotiation, and what the registry's API reads.
 */
export const FORWARDED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'content-type',
  'content-length',
  'content-encoding',
  'accept',
  'accept-encoding',
  'prefer',
  'idempotency-key',
  'if-match',
  'if-none-match',
  'x-falaj-lineage',
  'x-falaj-signature',
]);

/**
 * Response headers the caller is given back: the body's description, caching, redirects and
 * async-job headers, the challenge of a 401. Not the registry's server, cookies, hop-by-hop headers
 * or anything else (the gateway sets its own security headers and date).
 */
export const RETURNED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'content-disposition',
  'cache-control',
  'pragma',
  'etag',
  'last-modified',
  'location',
  'retry-after',
  'preference-applied',
  'www-authenticate',
  'x-content-sha256',
  'x-request-id',
]);

export interface ForwardingFacts {
  requestId: string;
  /** The peer the gateway saw (never a client's X-Forwarded-For). */
  clientIp: string;
  protocol: string;
  host: string;
}

/** The headers for the registry: the allowed ones of the client's, and X-Forwarded-* and the request id set by the gateway. */
export function forwardedRequestHeaders(headers: IncomingHttpHeaders, facts: ForwardingFacts): Record<string, string> {
  const forwarded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && FORWARDED_REQUEST_HEADERS.has(name)) forwarded[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  forwarded['x-request-id'] = facts.requestId;
  forwarded['x-forwarded-for'] = facts.clientIp;
  forwarded['x-forwarded-proto'] = facts.protocol;
  forwarded['x-forwarded-host'] = facts.host;
  return forwarded;
}

/** The allowed headers of the registry's answer. */
export function returnedResponseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const returned: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (value !== undefined && RETURNED_RESPONSE_HEADERS.has(key)) returned[key] = value;
  }
  return returned;
}
