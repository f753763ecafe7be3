import { DomainError } from '@falaj/contracts';
import { InferenceError } from '@falaj/dispatch';
import { QuotaError, UnroutableError } from '@falaj/routing';

/** Why a row is run again later rather than answered now, and how long to wait first. */
export type RowRetry = { retry: false } | { retry: true; kind: 'quota' | 'not-ready'; waitMs: number; reason: string };

/** Waited between passes over rows whose pool was not ready (or timed out). */
export const NOT_READY_WAIT_MS = 500;

/**
 * A job row's refusal is its answer when the row itself decided it (its input, its model, the
 * tenant's residency: the same row would be refused again). It is only a delay when the
 * platform had no room for it yet: over the tenant's quota (429, or a pool stream full: 503
 * with Retry-After), no ready worker of the version, a worker's own 503 (loading) or 504
 * (deadline passed in its queue), no reply in time, no route for the version the job was
 * submitted to (a Redis that lost the table), an error that carries no status (Redis away). Those rows stay pending and run again:
 * a job is paced by its tenant's quota and waits out a restarting pool, never failed by them.
 */
export function rowRetryOf(error: Error): RowRetry {
  if (error instanceof QuotaError) return { retry: true, kind: 'quota', waitMs: error.retryAfterSeconds * 1000, reason: error.message };
  // No status: the platform's own trouble (Redis away…), never the row's answer.
  if (!(error instanceof DomainError)) return { retry: true, kind: 'not-ready', waitMs: NOT_READY_WAIT_MS, reason: error.message };
  // The job's version had a route at submission: one missing now is a Redis that lost the table
  // (the router writes it back within seconds), or a model deleted — then its attempts run out.
  if (error instanceof UnroutableError) return { retry: true, kind: 'not-ready', waitMs: NOT_READY_WAIT_MS, reason: error.message };
  // Redis away or back empty (BackboneUnavailableError, RoutingUnavailableError): a delay, as its Retry-After says.
  if (error.status === 503 && error.retryAfterSeconds !== undefined)
    return { retry: true, kind: 'not-ready', waitMs: Math.max(NOT_READY_WAIT_MS, error.retryAfterSeconds * 1000), reason: error.message };
  if (!(error instanceof InferenceError)) return { retry: false };
  const transient = error.code === 'not_ready' || error.code === 'timeout' || (error.code === 'worker_error' && (error.status === 503 || error.status === 504));
  return transient ? { retry: true, kind: 'not-ready', waitMs: NOT_READY_WAIT_MS, reason: error.message } : { retry: false };
}
