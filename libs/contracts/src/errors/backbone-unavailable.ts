import { DomainError } from './domain.error';

/** Seconds a caller is told to wait when Redis is away: a restart and its rebuild take about that. */
export const BACKBONE_RETRY_AFTER_SECONDS = 1;

/**
 * Redis (the pools' streams, the routing table, the quota buckets, the idempotency records) is
 * away or came back empty: 503 with Retry-After on every edge, never a 500 or a hang. The client
 * may retry with its Idempotency-Key; whether a call in flight ran is unknown to the gateway.
 */
export class BackboneUnavailableError extends DomainError {
  constructor(message: string) {
    super(503, message, 'backbone_unavailable', { retryAfterSeconds: BACKBONE_RETRY_AFTER_SECONDS });
  }
}

/**
 * What ioredis (and BullMQ, over it) throws when Redis cannot be reached or is not itself yet:
 * the connection closed or retried out, a server that lost the apps' ACL users (NOAUTH,
 * WRONGPASS right after a restart), one still loading, a consumer group Redis lost.
 */
const REDIS_AWAY = [
  /^Connection is closed/,
  /^Command aborted due to connection close/,
  /^Reached the max retries per request limit/,
  /^Stream isn't writeable/,
  /enableOfflineQueue options is false/,
  /^NOAUTH\b/,
  /^WRONGPASS\b/,
  /^LOADING\b/,
  /^NOGROUP\b/,
  /^MASTERDOWN\b/,
  /^TRYAGAIN\b/,
];
const REDIS_ERROR_NAMES = new Set(['MaxRetriesPerRequestError', 'ReplyError', 'AbortError', 'ClusterAllFailedError']);

/**
 * The error an edge answers for `error`: a Redis outage becomes BackboneUnavailableError (503,
 * Retry-After); anything else, including every DomainError, is returned as it is. NOPERM is not
 * an outage (a command outside the app's grant is a bug) and stays a 500.
 */
export function unavailableOnRedisLoss(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof DomainError) return error;
  const message = error.message ?? '';
  const fromRedis = REDIS_ERROR_NAMES.has(error.name) || error.name === 'Error';
  if (!fromRedis) return error;
  if (REDIS_AWAY.some((pattern) => pattern.test(message))) {
    return new BackboneUnavailableError(`Redis is unavailable (${message.split('\n')[0].slice(0, 120)}); retry shortly, with the same Idempotency-Key`);
  }
  return error;
}
