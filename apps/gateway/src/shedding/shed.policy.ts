export interface PoolLoad {
  /** This gateway's requests to the pool that are dispatched and not yet answered. */
  inFlight: number;
  /** Live workers of the pool (from heartbeats). */
  workers: number;
  /** Recent latency of the pool's answers as this gateway saw them (queueing included), or null before any. */
  recentMs: number | null;
}

export type ShedDecision = { shed: false } | { shed: true; retryAfterSeconds: number; reason: string };

/**
 * Whether a request should be refused now rather than queued to miss its SLA: the pool's recent
 * latency already exceeds the SLA, and the request would wait behind a queue at least as deep as
 * the pool has workers. Once the queue drains below that, requests pass again and refresh the
 * latency, so shedding never sticks. No SLA, or no measurement yet: never shed.
 */
export function shedDecision(load: PoolLoad, slaMs: number | null | undefined): ShedDecision {
  if (!slaMs || load.recentMs === null) return { shed: false };
  if (load.recentMs <= slaMs || load.inFlight < Math.max(1, load.workers)) return { shed: false };
  return {
    shed: true,
    retryAfterSeconds: Math.max(1, Math.ceil(load.recentMs / 1000)),
    reason: `recent latency ${Math.round(load.recentMs)} ms is over the SLA of ${slaMs} ms with ${load.inFlight} requests queued on ${load.workers} worker(s)`,
  };
}
