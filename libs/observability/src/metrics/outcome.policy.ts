/**
 * How a call's status counts in `falaj_inference_requests_total{outcome}`: Triton splits success
 * from failure; the failures are split again by what an operator does about them.
 */
export const OUTCOMES = ['success', 'client_error', 'rejected', 'timeout', 'server_error'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** 429 (quota) and 503 (no worker, shed, a full spool or stream): refused, retrying later may help. */
export const isRejection = (status: number): boolean => status === 429 || status === 503;

export function outcomeOf(status: number): Outcome {
  if (status >= 200 && status < 300) return 'success';
  if (isRejection(status)) return 'rejected';
  if (status === 504) return 'timeout';
  if (status >= 400 && status < 500) return 'client_error';
  return 'server_error';
}

/** The index of an outcome in OUTCOMES: the bound children are kept in that order. */
export const outcomeIndex = (status: number): number => OUTCOMES.indexOf(outcomeOf(status));

/**
 * A model label only for a model the caller's tenant has a route for: a name off the routing
 * table (a typo, a probe, a hostile caller making names up) would otherwise mint a series per
 * name. Those calls still count, under this one label.
 */
export const UNKNOWN_MODEL = '_unknown';

/** The version and pool labels of a call refused before it was placed. */
export const UNPLACED = '';

/** Consumer lag of one partition: what is on it past what the group committed (none committed: from the log's start). */
export function partitionLag(committed: string | number, low: string | number, high: string | number): number {
  const done = Math.max(Number(committed), Number(low));
  return Math.max(0, Number(high) - done);
}
