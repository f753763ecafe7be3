import { WorkerHeartbeatSchema, type LoadedModel, type RouteEntry, type WorkerHeartbeat } from '@falaj/contracts';
import { ResidencyError } from '../residency.policy';
import { hybridPlacement } from './hybrid-placement.policy';
import { placeRequest } from './request-placement';
import recorded from './recorded-heartbeats.json';

/**
 * Heartbeats recorded from test/placement.e2e-spec.ts (the GPU worker on its CPU fallback): one
 * worker per pool of region `ae`, each with acme's `scorer` v1 measured and usco's `scorer` v1
 * loaded but never run. Each scenario changes only the numbers its name is about.
 */
const NOW = Math.max(recorded['cpu.ae'].sentAt, recorded['gpu.ae'].sentAt) + 400;

type Pool = keyof typeof recorded;
type Change = Partial<Pick<LoadedModel, 'state' | 'queueDepth' | 'inFlight' | 'instances' | 'loadMs'>> & {
  /** null: no timing yet (stats without percentiles, as a worker reports before the first run). */
  p95Ms?: number | null;
  p50Ms?: number;
  /** Requests per run, from the batch sizes: executions 100, requests 100 × this. */
  requestsPerRun?: number;
};

/** The recorded heartbeat of `pool`, with acme's scorer v1 changed, and the worker's own fields. */
function beat(pool: Pool, change: Change = {}, worker: Partial<WorkerHeartbeat> = {}): WorkerHeartbeat {
  const heartbeat = WorkerHeartbeatSchema.parse(structuredClone(recorded[pool]));
  const { p95Ms, p50Ms, requestsPerRun, ...fields } = change;
  heartbeat.models = heartbeat.models.map((m) => {
    if (m.tenantId !== 'acme') return m;
    const stats = { ...m.stats!, ...(requestsPerRun !== undefined && { executions: 100, requests: 100 * requestsPerRun }) };
    if (p95Ms === null) {
      delete stats.p95Ms;
      delete stats.p50Ms;
    } else if (p95Ms !== undefined) {
      stats.p95Ms = p95Ms;
    }
    if (p50Ms !== undefined) stats.p50Ms = p50Ms;
    return { ...m, ...fields, stats };
  });
  return { ...heartbeat, ...worker };
}

function place(gpu: WorkerHeartbeat[], cpu: WorkerHeartbeat[], slaP95Ms: number | null = null) {
  return hybridPlacement({
    tenantId: 'acme',
    model: 'scorer',
    version: 1,
    slaP95Ms,
    pools: [
      { pool: 'gpu.ae', workers: gpu },
      { pool: 'cpu.ae', workers: cpu },
    ],
    now: NOW,
  });
}

describe('hybridPlacement', () => {
  describe('measured pools', () => {
    it('places the recorded heartbeats on the pool that measured cheaper, and says so with the numbers', () => {
      const placement = place([beat('gpu.ae')], [beat('cpu.ae')]);
      expect(placement).toMatchObject({ pool: 'cpu.ae', reason: 'cheapest', candidates: ['gpu.ae', 'cpu.ae'] });
      expect(placement.explanation).toBe('cheapest: cpu.ae ~0.6 ms (p95 0.6 ms x queue 1.0), no SLA; gpu.ae ~0.7 ms (p95 0.7 ms x queue 1.0)');
      expect(placement.estimates).toEqual([
        { pool: 'gpu.ae', readyWorkers: 1, costMs: 0.692, queueFactor: 1, coldMs: 0, estimateMs: 0.692 },
        { pool: 'cpu.ae', readyWorkers: 1, costMs: 0.607, queueFactor: 1, coldMs: 0, estimateMs: 0.607 },
      ]);
    });

    it('prefers the GPU when it is cheaper and within the SLA', () => {
      const placement = place([beat('gpu.ae', { p95Ms: 3.1 })], [beat('cpu.ae', { p95Ms: 8 })], 20);
      expect(placement).toMatchObject({ pool: 'gpu.ae', reason: 'cheapest' });
      expect(placement.explanation).toBe('cheapest: gpu.ae ~3.1 ms (p95 3.1 ms x queue 1.0) within SLA 20 ms; cpu.ae ~8 ms (p95 8 ms x queue 1.0)');
    });

    it('spills to the CPU when the GPU backlog pushes its estimate over the SLA', () => {
      const gpu = beat('gpu.ae', { p95Ms: 3.5, inFlight: 1, queueDepth: 11, requestsPerRun: 1 });
      const placement = place([gpu], [beat('cpu.ae', { p95Ms: 8 })], 20);
      expect(placement).toMatchObject({ pool: 'cpu.ae', reason: 'spill' });
      expect(placement.explanation).toBe('spill: gpu.ae would take ~45.5 ms (p95 3.5 ms x queue 13.0) > SLA 20 ms; cpu.ae ~8 ms (p95 8 ms x queue 1.0)');
    });

    it('counts queued requests as runs by the mean batch size, and spreads them over the instances', () => {
      const cpu = [beat('cpu.ae', { p95Ms: 8 })];
      // 1 run in flight + 11 queued requests ÷ 4 per run = 3.75 runs ahead: ~16.6 ms, within 20.
      const batched = place([beat('gpu.ae', { p95Ms: 3.5, inFlight: 1, queueDepth: 11, requestsPerRun: 4 })], cpu, 20);
      expect(batched).toMatchObject({ pool: 'gpu.ae', reason: 'cheapest' });
      expect(batched.estimates[0].estimateMs).toBeCloseTo(16.625, 6);
      // 12 runs ahead over 4 instances: 3 each, ~14 ms.
      const instances = place([beat('gpu.ae', { p95Ms: 3.5, inFlight: 1, queueDepth: 11, requestsPerRun: 1, instances: 4 })], cpu, 20);
      expect(instances).toMatchObject({ pool: 'gpu.ae', reason: 'cheapest' });
      expect(instances.estimates[0].estimateMs).toBeCloseTo(14, 6);
    });

    it('takes the lower estimate when both pools would miss the SLA', () => {
      const gpu = beat('gpu.ae', { p95Ms: 3.5, inFlight: 1, queueDepth: 11, requestsPerRun: 1 });
      const lower = place([gpu], [beat('cpu.ae', { p95Ms: 8, inFlight: 1, queueDepth: 3, requestsPerRun: 1 })], 20);
      expect(lower).toMatchObject({ pool: 'cpu.ae', reason: 'spill' });
      expect(lower.explanation).toBe('spill: gpu.ae would take ~45.5 ms (p95 3.5 ms x queue 13.0) > SLA 20 ms; cpu.ae ~40 ms (p95 8 ms x queue 5.0) is lower');
      const higher = place([gpu], [beat('cpu.ae', { p95Ms: 8, inFlight: 1, queueDepth: 6, requestsPerRun: 1 })], 20);
      expect(higher).toMatchObject({ pool: 'gpu.ae', reason: 'cheapest' });
      expect(higher.explanation).toBe('cheapest: gpu.ae ~45.5 ms (p95 3.5 ms x queue 13.0) over SLA 20 ms, still the lowest; cpu.ae ~64 ms (p95 8 ms x queue 8.0)');
    });

    it('keeps to the cheapest pool without an SLA, whatever its backlog', () => {
      const gpu = beat('gpu.ae', { p95Ms: 3.5, inFlight: 1, queueDepth: 11, requestsPerRun: 1 });
      const placement = place([gpu], [beat('cpu.ae', { p95Ms: 8 })], null);
      expect(placement).toMatchObject({ pool: 'gpu.ae', reason: 'cheapest' });
      expect(placement.explanation).toMatch(/^cheapest: gpu.ae ~45.5 ms .*, no SLA; cpu.ae ~8 ms/);
    });

    it("takes the slowest worker's p95 as the pool's cost and the least-loaded worker's backlog", () => {
      const busy = beat('gpu.ae', { p95Ms: 3, inFlight: 1, queueDepth: 20, requestsPerRun: 1 }, { workerId: 'gpu-busy' });
      const idle = beat('gpu.ae', { p95Ms: 4 }, { workerId: 'gpu-idle' });
      const placement = place([busy, idle], [beat('cpu.ae', { p95Ms: 8 })], 20);
      expect(placement).toMatchObject({ pool: 'gpu.ae', reason: 'cheapest' });
      expect(placement.estimates[0]).toEqual({ pool: 'gpu.ae', readyWorkers: 2, costMs: 4, queueFactor: 1, coldMs: 0, estimateMs: 4 });
    });

    it('uses the p50 where a worker reports no p95', () => {
      const gpu = beat('gpu.ae', { p95Ms: null, p50Ms: 2 });
      expect(place([gpu], [beat('cpu.ae', { p95Ms: 8 })]).estimates[0]).toMatchObject({ costMs: 2, estimateMs: 2 });
    });

    it('adds the last load time where the version was evicted: a cold start', () => {
      const evicted = beat('gpu.ae', { p95Ms: 3, state: 'unloaded', loadMs: 189 });
      const placement = place([evicted], [beat('cpu.ae', { p95Ms: 8 })], 20);
      expect(placement).toMatchObject({ pool: 'cpu.ae', reason: 'spill' });
      expect(placement.explanation).toBe('spill: gpu.ae would take ~192 ms (p95 3 ms x queue 1.0 + cold load 189 ms) > SLA 20 ms; cpu.ae ~8 ms (p95 8 ms x queue 1.0)');
    });
  });

  describe('ready pools', () => {
    it('places on the only pool with the version ready', () => {
      const loading = place([beat('gpu.ae', { state: 'loading' })], [beat('cpu.ae')], 20);
      expect(loading).toMatchObject({ pool: 'cpu.ae', reason: 'only-ready' });
      expect(loading.explanation).toBe('only-ready: cpu.ae ~0.6 ms (p95 0.6 ms x queue 1.0); gpu.ae not ready');
      expect(place([], [beat('cpu.ae')])).toMatchObject({ pool: 'cpu.ae', reason: 'only-ready' });
      expect(place([beat('gpu.ae')], [beat('cpu.ae', { state: 'failed' })])).toMatchObject({ pool: 'gpu.ae', reason: 'only-ready' });
    });

    it("ignores stale heartbeats, other tenants' versions and workers of other pools", () => {
      const stale = beat('gpu.ae', { p95Ms: 0.1 }, { sentAt: NOW - 6000 });
      expect(place([stale], [beat('cpu.ae')])).toMatchObject({ pool: 'cpu.ae', reason: 'only-ready' });
      const otherTenant = beat('gpu.ae', { state: 'failed' });
      expect(otherTenant.models.some((m) => m.tenantId === 'usco' && m.state === 'ready')).toBe(true);
      expect(place([otherTenant], [beat('cpu.ae')])).toMatchObject({ pool: 'cpu.ae', reason: 'only-ready' });
      const elsewhere = beat('gpu.ae', { p95Ms: 0.1 }, { pool: 'gpu.eu', region: 'eu' });
      expect(place([elsewhere], [beat('cpu.ae')])).toMatchObject({ pool: 'cpu.ae', reason: 'only-ready' });
    });

    it('places nowhere, saying so, when no pool has the version ready', () => {
      const placement = place([beat('gpu.ae', { state: 'loading' })], [beat('cpu.ae', { p95Ms: 1 }, { sentAt: NOW - 10_000 })], 20);
      expect(placement).toMatchObject({ pool: null, reason: 'none-ready', candidates: ['gpu.ae', 'cpu.ae'] });
      expect(placement.explanation).toBe('none-ready: no worker of gpu.ae or cpu.ae has version 1 ready');
    });
  });

  describe('unmeasured pools', () => {
    it('tries the GPU first before any measurement', () => {
      const placement = place([beat('gpu.ae', { p95Ms: null })], [beat('cpu.ae', { p95Ms: null })], 20);
      expect(placement).toMatchObject({ pool: 'gpu.ae', reason: 'unmeasured' });
      expect(placement.explanation).toBe('unmeasured: gpu.ae has no timing of version 1 yet, measuring it; cpu.ae unmeasured');
    });

    it('sends requests to an unmeasured pool while one of its workers is idle, even past a cheaper measured one', () => {
      const placement = place([beat('gpu.ae', { p95Ms: 0.1 })], [beat('cpu.ae', { p95Ms: null })], 20);
      expect(placement).toMatchObject({ pool: 'cpu.ae', reason: 'unmeasured' });
      expect(placement.explanation).toBe('unmeasured: cpu.ae has no timing of version 1 yet, measuring it; gpu.ae ~0.1 ms (p95 0.1 ms x queue 1.0)');
    });

    it('leaves a busy unmeasured pool to its first runs', () => {
      const busy = beat('cpu.ae', { p95Ms: null, inFlight: 1 });
      const placement = place([beat('gpu.ae', { p95Ms: 5 })], [busy], 1);
      expect(placement).toMatchObject({ pool: 'gpu.ae', reason: 'only-measured' });
      expect(placement.explanation).toBe('only-measured: gpu.ae ~5 ms (p95 5 ms x queue 1.0); cpu.ae unmeasured');
      const bothBusy = place([beat('gpu.ae', { p95Ms: null, inFlight: 1 })], [busy]);
      expect(bothBusy).toMatchObject({ pool: 'gpu.ae', reason: 'unmeasured' });
      expect(bothBusy.explanation).toBe('unmeasured: no pool has timed version 1 yet, gpu.ae first; cpu.ae unmeasured');
    });
  });
});

describe('placeRequest', () => {
  const route = (hardware: RouteEntry['hardware'], regions: string[] = [], pool = 'cpu.ae'): RouteEntry => ({
    tenantId: 'acme',
    model: 'scorer',
    targets: [{ version: 1, pool, weight: 100 }],
    signatures: {},
    regions,
    slaP95Ms: 20,
    hardware,
    updatedAt: '2026-01-01T00:00:00.000Z',
  });
  const eu = (pool: Pool, change: Change = {}) => beat(pool, change, { pool: pool.replace('.ae', '.eu'), region: 'eu' });
  // Region ae is idle and cheap; region eu's GPU is the only pool there with the version.
  const heartbeats: Record<string, WorkerHeartbeat[]> = {
    'gpu.ae': [beat('gpu.ae', { p95Ms: 0.1 })],
    'cpu.ae': [beat('cpu.ae', { p95Ms: 0.1 })],
    'gpu.eu': [eu('gpu.ae', { p95Ms: 30 })],
    'cpu.eu': [eu('cpu.ae', { state: 'loading' })],
  };
  const live = (pool: string) => heartbeats[pool] ?? [];

  it("places an auto route between the GPU and CPU pools of the caller's region only", () => {
    const placement = placeRequest(route('auto'), route('auto').targets[0], 'eu', live, NOW);
    expect(placement).toMatchObject({ pool: 'gpu.eu', reason: 'only-ready', candidates: ['gpu.eu', 'cpu.eu'] });
    expect(placement.estimates.map((e) => e.pool)).toEqual(['gpu.eu', 'cpu.eu']);
    const us = placeRequest(route('auto'), route('auto').targets[0], 'us', live, NOW);
    expect(us).toMatchObject({ pool: null, reason: 'none-ready', candidates: ['gpu.us', 'cpu.us'] });
  });

  it("places an auto route in its nominal pool's region when the caller has no residency", () => {
    expect(placeRequest(route('auto'), route('auto').targets[0], undefined, live, NOW)).toMatchObject({ pool: 'gpu.ae', reason: 'cheapest' });
  });

  it("refuses an auto route where the deployment's regions exclude the caller's residency", () => {
    expect(() => placeRequest(route('auto', ['ae']), route('auto').targets[0], 'eu', live, NOW)).toThrow(ResidencyError);
  });

  it('keeps a fixed route on its hardware in the region, and says it is fixed', () => {
    expect(placeRequest(route('cpu'), route('cpu').targets[0], 'ae', live, NOW)).toEqual({
      pool: 'cpu.ae',
      reason: 'fixed',
      explanation: 'fixed: deployment hardware cpu',
      candidates: ['cpu.ae'],
      estimates: [],
    });
    const gpu = route('gpu', [], 'gpu.ae');
    expect(placeRequest(gpu, gpu.targets[0], 'eu', live, NOW)).toMatchObject({ pool: 'gpu.eu', explanation: 'fixed: deployment hardware gpu' });
    // A route written before the hardware policy: its pool's hardware, fixed.
    expect(placeRequest(route(undefined), route(undefined).targets[0], 'ae', live, NOW)).toMatchObject({ pool: 'cpu.ae', reason: 'fixed' });
    expect(placeRequest(route('cpu'), route('cpu').targets[0], 'eu', live, NOW)).toMatchObject({
      pool: null,
      reason: 'none-ready',
      explanation: 'none-ready: no worker of cpu.eu has version 1 ready',
      candidates: ['cpu.eu'],
    });
  });
});
