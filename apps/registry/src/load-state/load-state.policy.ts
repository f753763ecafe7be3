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
  workers: WorkerLoadState[];
}

/**
 * One version's load state per pool and worker, from live heartbeats. A worker that does not
 * hold the version reports it `unloaded`. A pool (and the whole) is `ready` when any worker is,
 * else `loading`, else `failed`, else `unloaded` — the order in which an operator cares.
 */
export function versionLoadState(heartbeats: readonly WorkerHeartbeat[], tenantId: string, model: string, version: number): { state: ModelLoadState; pools: PoolLoadState[] } {
  const pools = new Map<string, WorkerLoadState[]>();
  for (const beat of heartbeats) {
    const held = beat.models.find((m) => m.tenantId === tenantId && m.model === model && m.version === version);
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
    .map(([pool, workers]) => ({ pool, state: overall(workers.map((w) => w.state)), workers: workers.sort((a, b) => a.workerId.localeCompare(b.workerId)) }));
  return { state: overall(summary.map((p) => p.state)), pools: summary };
}

const PRECEDENCE: readonly ModelLoadState[] = ['ready', 'loading', 'failed', 'unloaded'];

function overall(states: readonly ModelLoadState[]): ModelLoadState {
  return PRECEDENCE.find((s) => states.includes(s)) ?? 'unloaded';
}
