import type { ModelLoadState, WorkerHeartbeat } from '@falaj/contracts';

export interface WorkerLoadState {
  workerId: string;
  state: ModelLoadState;
  reason?: string;
  executionProvider: string;
}

export interface PoolLoadState {
  pool: string;
  state: ModelLoadState;
  /** Requests waiting in this version's batchers on the pool's workers (never another version's). */
  queueDepth: number;
  workers: WorkerLoadState[];
}

export interface VersionLoadState {
  state: ModelLoadState;
  pools: PoolLoadState[];
  /** The version's runs by size in requests, summed over its workers since each loaded it: `{ "1": 120, "8": 30 }`. */
  batchSizes: Record<string, number>;
}

/**
 * One version's load state per pool and worker, from live heartbeats. A worker that does not
 * hold the version reports it `unloaded`. A pool (and the whole) is `ready` when any worker is,
 * else `loading`, else `failed`, else `unloaded` — the order in which an operator cares.
 * Queue depth and batch sizes are the version's own entries only: a heartbeat's top-level
 * `queueDepth` sums every tenant's versions on the worker, so it is never read here.
 */
export function versionLoadState(heartbeats: readonly WorkerHeartbeat[], tenantId: string, model: string, version: number): VersionLoadState {
  const pools = new Map<string, WorkerLoadState[]>();
  const queued = new Map<string, number>();
  const batchSizes: Record<string, number> = {};
  for (const beat of heartbeats) {
    const held = beat.models.find((m) => m.tenantId === tenantId && m.model === model && m.version === version);
    queued.set(beat.pool, (queued.get(beat.pool) ?? 0) + (held?.queueDepth ?? 0));
    for (const [size, runs] of Object.entries(held?.stats?.batchSizes ?? {})) batchSizes[size] = (batchSizes[size] ?? 0) + runs;
    const worker: WorkerLoadState = {
      workerId: beat.workerId,
      state: held?.state ?? 'unloaded',
      executionProvider: beat.executionProvider,
      ...(held?.reason ? { reason: held.reason } : {}),
    };
    pools.set(beat.pool, [...(pools.get(beat.pool) ?? []), worker]);
  }
  const summary = [...pools]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([pool, workers]) => ({
      pool,
      state: overall(workers.map((w) => w.state)),
      queueDepth: queued.get(pool) ?? 0,
      workers: workers.sort((a, b) => a.workerId.localeCompare(b.workerId)),
    }));
  return { state: overall(summary.map((p) => p.state)), pools: summary, batchSizes };
}

const PRECEDENCE: readonly ModelLoadState[] = ['ready', 'loading', 'failed', 'unloaded'];

function overall(states: readonly ModelLoadState[]): ModelLoadState {
  return PRECEDENCE.find((s) => states.includes(s)) ?? 'unloaded';
}
