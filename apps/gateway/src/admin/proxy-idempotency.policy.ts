/**
 * Which proxied requests an `Idempotency-Key` applies to: every `POST` of the admin API, job
 * submission and async inference (issue 14) — except those whose answer holds a credential shown
 * once (an API key, an OAuth client's secret, a Kafka token). Keeping such an answer would put
 * the secret in Redis for the key's whole window; those routes refuse the header instead, so a
 * client learns it at once rather than trusting a retry that cannot be kept. PUT and DELETE are
 * idempotent by their meaning; the header is ignored there, as on GET.
 */
const SECRET_ANSWERS: readonly RegExp[] = [/^\/admin\/kafka\/token$/, /^\/admin\/tenants\/[^/]+\/api-keys$/, /^\/admin\/tenants\/[^/]+\/clients$/];

export type ProxiedIdempotency = { kind: 'applies' } | { kind: 'ignored' } | { kind: 'refused'; message: string };

/** `path`: the normalised path the registry is sent (proxiedPath), with its query. */
export function proxiedIdempotency(method: string, path: string): ProxiedIdempotency {
  if (method !== 'POST') return { kind: 'ignored' };
  const pathOnly = path.split('?', 1)[0];
  if (SECRET_ANSWERS.some((route) => route.test(pathOnly))) {
    return { kind: 'refused', message: 'Idempotency-Key is not taken here: this answer holds a secret shown once, which the gateway does not keep; send the request without it' };
  }
  return { kind: 'applies' };
}
