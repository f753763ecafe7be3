import type { WorkerHeartbeat } from '@falaj/contracts';
import { versionLoadState } from './load-state.policy';

const beat = (workerId: string, pool: string, models: WorkerHeartbeat['models']): WorkerHeartbeat => ({
  workerId,
  pool,
  region: 'ae',
  hardware: 'cpu',
  executionProvider: 'cpu',
  models,
  inFlight: 0,
  sentAt: Date.now(),
});
const held = (version: number, state: 'loading' | 'ready' | 'failed', reason?: string) => ({ tenantId: 'acme', model: 'm', version, state, ...(reason ? { reason } : {}) });

describe('versionLoadState', () => {
  it('is ready when any worker of any pool is, and lists each worker', () => {
    const result = versionLoadState([beat('w2', 'cpu.ae', [held(1, 'loading')]), beat('w1', 'cpu.ae', [held(1, 'ready')]), beat('g1', 'gpu.ae', [])], 'acme', 'm', 1);
    expect(result.state).toBe('ready');
    expect(result.pools).toEqual([
      {
        pool: 'cpu.ae',
        state: 'ready',
        queueDepth: 0,
        workers: [
          { workerId: 'w1', state: 'ready', executionProvider: 'cpu' },
          { workerId: 'w2', state: 'loading', executionProvider: 'cpu' },
        ],
      },
      { pool: 'gpu.ae', state: 'unloaded', queueDepth: 0, workers: [{ workerId: 'g1', state: 'unloaded', executionProvider: 'cpu' }] },
    ]);
  });

  it('carries a failure reason, and ignores other tenants and versions', () => {
    const result = versionLoadState([beat('w1', 'cpu.ae', [held(1, 'failed', 'bad graph'), held(2, 'ready'), { ...held(1, 'ready'), tenantId: 'globex' }])], 'acme', 'm', 1);
    expect(result.state).toBe('failed');
    expect(result.pools[0].workers[0]).toMatchObject({ state: 'failed', reason: 'bad graph' });
  });

  it('is unloaded with no workers at all', () => {
    expect(versionLoadState([], 'acme', 'm', 1)).toEqual({ state: 'unloaded', pools: [], batchSizes: {} });
  });

  it("sums the version's own queue depth per pool and merges its batch sizes, never another tenant's or version's", () => {
    const stats = (batchSizes: Record<string, number>) => ({ executions: 0, requests: 0, batchSizes });
    const mine = (queueDepth: number, batchSizes: Record<string, number>) => ({ ...held(1, 'ready'), queueDepth, stats: stats(batchSizes) });
    const theirs = { ...held(1, 'ready'), tenantId: 'globex', queueDepth: 50, stats: stats({ '1': 1000, '32': 7 }) };
    const otherVersion = { ...held(2, 'ready'), queueDepth: 9, stats: stats({ '4': 100 }) };
    const result = versionLoadState(
      [{ ...beat('w1', 'cpu.ae', [mine(3, { '1': 10, '8': 2 }), theirs, otherVersion]), queueDepth: 62 }, beat('w2', 'cpu.ae', [mine(4, { '1': 5, '4': 1 })]), beat('g1', 'gpu.ae', [theirs])],
      'acme',
      'm',
      1,
    );
    expect(result.pools.map((p) => [p.pool, p.queueDepth])).toEqual([
      ['cpu.ae', 7],
      ['gpu.ae', 0],
    ]);
    expect(result.batchSizes).toEqual({ '1': 15, '4': 1, '8': 2 });
  });
});
