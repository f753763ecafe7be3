import { HEARTBEAT_TTL_MS, parsePoolName, type LoadedModel, type WorkerHeartbeat } from '@falaj/contracts';
import { readyModel, type Placement, type PoolEstimate } from './placement';

export interface CandidatePool {
  pool: string;
  /** The pool's workers as their heartbeats last said. */
  workers: readonly WorkerHeartbeat[];
}

export interface HybridPlacementInput {
  tenantId: string;
  model: string;
  version: number;
  /** The deployment's p95 target; null or absent: none. */
  slaP95Ms: number | null | undefined;
  /** The pools of the caller's region only: residency is settled before, never here. */
  pools: readonly CandidatePool[];
  /** Heartbeats older than HEARTBEAT_TTL_MS before this are ignored. */
  now: number;
}

/**
 * Where an `auto` deployment's request runs: the CPU or the GPU pool of one region. A pure
 * function of the pools' heartbeats, so it can be tested on recorded ones.
 *
 * The model. A pool's **cost** is the version's execution p95 as its ready workers measured it
 * (p50 when that is all; the highest of its workers, as they share the hardware and the slowest
 * is the one that bounds a p95). A request on a worker waits for the runs ahead of it on its
 * share of the instances, then its own, so its **estimate** is
 * `cost × (1 + (runs in flight + queued requests ÷ requests per run) ÷ instances)`, plus the last
 * load time where the worker evicted the version (a cold start). Queued requests count as runs
 * by the version's mean batch size, since the batcher merges them. The pool's estimate is that of
 * its least-loaded ready worker: workers pull from the pool's stream when they have room, so the
 * least-loaded one takes the next request. It overestimates a little (a running batch counts as a
 * whole run), which is the safe side of an SLA. Other versions on the same worker share its cores,
 * not its instances: their pressure shows in the measured times, not in the queue.
 *
 * The choice. Only pools with a live worker that has the version ready count. The **preferred**
 * pool is the one with the lowest cost (GPU on a tie). It **spills** to the other pool when the
 * SLA is set, the preferred estimate exceeds it, and the other's estimate is lower (within the
 * SLA, or at least closer to it). Without an SLA the cheapest pool takes everything: cost is what
 * there is to minimise. A pool with no timing yet gets the requests while one of its workers is
 * idle ("unmeasured counts as cheapest", GPU first): the first heartbeat after a run carries its
 * time, so exploring lasts about a heartbeat and needs no random share; a busy unmeasured pool is
 * left alone, its first runs are already measuring it.
 */
export function hybridPlacement(input: HybridPlacementInput): Placement {
  const estimates = input.pools.map((candidate) => estimatePool(candidate, input));
  const candidates = input.pools.map((c) => c.pool);
  // GPU first: it breaks ties and is explored first. sort() is stable, so the input order rules otherwise.
  const ready = estimates.filter((e) => e.readyWorkers > 0).sort((a, b) => gpuFirst(a.pool) - gpuFirst(b.pool));
  const placed = (pool: string, reason: Placement['reason'], explanation: string): Placement => ({
    pool,
    reason,
    explanation: `${reason}: ${explanation}`,
    candidates,
    estimates,
  });
  /** The pools not named yet in the sentence, each with its numbers. */
  const rest = (...named: PoolEstimate[]): string =>
    estimates
      .filter((e) => !named.includes(e))
      .map((e) => `; ${describe(e)}`)
      .join('');

  if (ready.length === 0) {
    const names = candidates.join(' or ') || 'no pool';
    return { pool: null, reason: 'none-ready', explanation: `none-ready: no worker of ${names} has version ${input.version} ready`, candidates, estimates };
  }
  if (ready.length === 1) return placed(ready[0].pool, 'only-ready', `${describe(ready[0])}${rest(ready[0])}`);

  const explore = ready.find((e) => e.costMs === null && e.queueFactor === 1);
  if (explore) return placed(explore.pool, 'unmeasured', `${explore.pool} has no timing of version ${input.version} yet, measuring it${rest(explore)}`);
  const measured = ready.filter((e): e is Measured => e.estimateMs !== null);
  if (measured.length === 0) return placed(ready[0].pool, 'unmeasured', `no pool has timed version ${input.version} yet, ${ready[0].pool} first${rest(ready[0])}`);
  if (measured.length === 1) return placed(measured[0].pool, 'only-measured', `${describe(measured[0])}${rest(measured[0])}`);

  const preferred = measured.reduce((best, e) => (e.costMs < best.costMs ? e : best));
  const fastest = measured.filter((e) => e !== preferred).reduce((best, e) => (e.estimateMs < best.estimateMs ? e : best));
  const sla = input.slaP95Ms ?? null;
  if (sla !== null && preferred.estimateMs > sla && fastest.estimateMs < preferred.estimateMs) {
    const verdict = fastest.estimateMs > sla ? ' is lower' : '';
    return placed(fastest.pool, 'spill', `${preferred.pool} would take ${timing(preferred)} > SLA ${ms(sla)} ms; ${describe(fastest)}${verdict}${rest(preferred, fastest)}`);
  }
  const within = sla === null ? ', no SLA' : preferred.estimateMs <= sla ? ` within SLA ${ms(sla)} ms` : ` over SLA ${ms(sla)} ms, still the lowest`;
  return placed(preferred.pool, 'cheapest', `${describe(preferred)}${within}${rest(preferred)}`);
}

type Measured = PoolEstimate & { costMs: number; estimateMs: number; queueFactor: number };

/** The pool's cost and its least-loaded ready worker's estimate, from live heartbeats of that pool only. */
function estimatePool(candidate: CandidatePool, input: HybridPlacementInput): PoolEstimate {
  const cutoff = input.now - HEARTBEAT_TTL_MS;
  const ready = candidate.workers.flatMap((w) => {
    if (w.pool !== candidate.pool || w.sentAt < cutoff) return [];
    const model = readyModel(w, input.tenantId, input.model, input.version);
    return model ? [model] : [];
  });
  const costs = ready.map(costOf).filter((c): c is number => c !== undefined);
  const costMs = costs.length > 0 ? Math.max(...costs) : null;
  let best: { queueFactor: number; coldMs: number; estimateMs: number | null } | null = null;
  for (const model of ready) {
    const queueFactor = 1 + runsAhead(model);
    const coldMs = model.state === 'unloaded' ? (model.loadMs ?? 0) : 0;
    const estimateMs = costMs === null ? null : costMs * queueFactor + coldMs;
    const better = best === null || (estimateMs === null ? queueFactor < best.queueFactor : estimateMs < (best.estimateMs ?? Infinity));
    if (better) best = { queueFactor, coldMs, estimateMs };
  }
  return {
    pool: candidate.pool,
    readyWorkers: ready.length,
    costMs,
    queueFactor: best?.queueFactor ?? null,
    estimateMs: best?.estimateMs ?? null,
    coldMs: best?.coldMs ?? 0,
  };
}

function costOf(model: LoadedModel): number | undefined {
  return model.stats?.p95Ms ?? model.stats?.p50Ms;
}

/** Runs a new request waits for on its share of the worker's instances. */
function runsAhead(model: LoadedModel): number {
  const stats = model.stats;
  const requestsPerRun = stats && stats.executions > 0 ? Math.max(1, stats.requests / stats.executions) : 1;
  return ((model.inFlight ?? 0) + (model.queueDepth ?? 0) / requestsPerRun) / Math.max(1, model.instances ?? 1);
}

const gpuFirst = (pool: string): number => (parsePoolName(pool)?.hardware === 'gpu' ? 0 : 1);

/** Milliseconds as people read them: 0.1 ms steps below 100 ms, whole ones above. */
const ms = (value: number): number => (value >= 100 ? Math.round(value) : Math.round(value * 10) / 10);

/** `~42 ms (p95 35 ms x queue 1.2)`: ASCII only, it goes into a header. */
function timing(e: PoolEstimate): string {
  if (e.estimateMs === null || e.costMs === null || e.queueFactor === null) return 'unmeasured';
  const cold = e.coldMs ? ` + cold load ${ms(e.coldMs)} ms` : '';
  return `~${ms(e.estimateMs)} ms (p95 ${ms(e.costMs)} ms x queue ${e.queueFactor.toFixed(1)}${cold})`;
}

function describe(e: PoolEstimate): string {
  if (e.readyWorkers === 0) return `${e.pool} not ready`;
  return `${e.pool} ${timing(e)}`;
}
