import type { LoadedModel, WorkerHeartbeat } from '@falaj/contracts';

/**
 * Why a request went where it did, machine-readable:
 * - `fixed`: the deployment names its hardware (or the route predates `auto`);
 * - `only-ready`: one pool of the region has the version ready;
 * - `unmeasured`: a pool has no timing of the version yet and gets the request to be measured;
 * - `only-measured`: the other pool is unmeasured but already busy with its first requests;
 * - `cheapest`: the pool with the lowest measured cost, within the SLA (or no SLA);
 * - `spill`: the cheapest pool would miss the SLA and another would do better;
 * - `none-ready`: no pool of the region has the version ready (the caller answers 503).
 */
export type PlacementReason = 'fixed' | 'only-ready' | 'unmeasured' | 'only-measured' | 'cheapest' | 'spill' | 'none-ready';

/** What the policy knew of one candidate pool. */
export interface PoolEstimate {
  pool: string;
  /** Live workers with the version ready (or evicted, loaded again on demand). */
  readyWorkers: number;
  /** The version's measured execution p95 on the pool (p50 where that is all), ms; null before any run. */
  costMs: number | null;
  /**
   * 1 + the runs ahead of a new request per instance on the pool's least-loaded ready worker:
   * its own run and its share of the backlog. Null without a ready worker.
   */
  queueFactor: number | null;
  /** The version's last load time where that worker evicted it (a cold start), else 0. */
  coldMs: number;
  /** costMs × queueFactor + coldMs: what a new request would take there; null when unmeasured or not ready. */
  estimateMs: number | null;
}

export interface Placement {
  /** The pool to dispatch to; null when none of the candidates has the version ready. */
  pool: string | null;
  reason: PlacementReason;
  /** One line for the `x-falaj-placement` header and the audit row: the reason with its numbers. */
  explanation: string;
  /** The pools that were considered, all in the caller's region: the ones to keep watching. */
  candidates: string[];
  /** Per candidate, for `auto` placements; empty for fixed ones. */
  estimates: PoolEstimate[];
}

/** The version's entry in a worker's heartbeat when it can take a request now. */
export function readyModel(worker: WorkerHeartbeat, tenantId: string, model: string, version: number): LoadedModel | undefined {
  // `unloaded`: evicted by the worker's model cache, which loads it again for the request.
  return worker.models.find((m) => m.version === version && m.model === model && m.tenantId === tenantId && (m.state === 'ready' || m.state === 'unloaded'));
}
