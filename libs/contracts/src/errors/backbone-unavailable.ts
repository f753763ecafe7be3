import { DomainError } from './domain.error';

/** Seconds a caller is told to wait when Redis is away: a restart and its rebuild take about that. */
export const BACKBONE_RETRY_AFTER_SECONDS = 1;

/** What a BackboneUnavailableError says went wrong: its `code`, in every protocol's error answer. */
export const BACKBONE_UNAVAILABLE_ERROR_CODES = ['backbone_unavailable'] as const;
export type BackboneUnavailableErrorCode = (typeof BACKBONE_UNAVAILABLE_ERROR_CODES)[number];

/**
 * Redis (the pools' streams, the routing table, the quota buckets, the idempotency records) is
 * away or came back empty: 503 with Retry-After on every edge, never a 500 or a hang. The client
 * may retry with its Idempotency-Key; whether a call in flight ran is unknown to the gateway.
 */
export class BackboneUnavailableError extends DomainError<BackboneUnavailableErrorCode> {
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

/**
 * What node-postgres (and TypeORM, over it, with the driver's `code` copied on) throws while the
 * database is away or going: SQLSTATE class 08 (connection exception), 57P01–57P03 (shut down,
 * crashed, not accepting connections yet), 53300 (too many connections); a refused or reset
 * socket; a connection ended or timed out.
 */
const PG_AWAY_STATES = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;
const SOCKET_AWAY = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EAI_AGAIN']);
const PG_AWAY = [/^Connection terminated/, /^timeout exceeded when trying to connect/, /^Client has encountered a connection error/, /^terminating connection due to administrator command/];

/** A Postgres outage as BackboneUnavailableError (503, Retry-After); anything else as it is. Never the driver's text: it may name hosts. */
export function unavailableOnDatabaseLoss(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof DomainError) return error;
  const code = (error as { code?: unknown }).code;
  const away = (typeof code === 'string' && (PG_AWAY_STATES.test(code) || SOCKET_AWAY.has(code))) || PG_AWAY.some((pattern) => pattern.test(error.message ?? ''));
  return away ? new BackboneUnavailableError('the database is unavailable; retry shortly, with the same Idempotency-Key') : error;
}

/** Redis or Postgres away: the retryable 503 an edge answers, whichever it was. */
export function unavailableOnBackboneLoss(error: unknown): unknown {
  return unavailableOnDatabaseLoss(unavailableOnRedisLoss(error));
}
