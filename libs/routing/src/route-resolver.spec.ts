import type { RouteEntry } from '@falaj/contracts';
import { RoutingUnavailableError, UnroutableError, fallbackTargets, resolveTarget, stickyPoint } from './route-resolver';

const sig = (name: string) => ({ inputs: [{ name, datatype: 'FP32' as const, shape: [1] }], outputs: [] });
const route: RouteEntry = {
  tenantId: 'acme',
  model: 'mlp',
  targets: [
    { version: 1, pool: 'cpu.ae', weight: 10 },
    { version: 2, pool: 'cpu.ae', weight: 90 },
  ],
  signatures: { '1': sig('v1'), '2': sig('v2') },
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('resolveTarget', () => {
  it('takes the heaviest target when no version is asked for', () => {
    expect(resolveTarget('mlp', route).target.version).toBe(2);
  });

  it("takes the version asked for, with that version's signature", () => {
    const resolved = resolveTarget('mlp', route, '1');
    expect(resolved.target.version).toBe(1);
    expect(resolved.signature.inputs[0].name).toBe('v1');
  });

  it('answers 404 for a version that is not serving', () => {
    expect(() => resolveTarget('mlp', route, '7')).toThrow(new UnroutableError("version 7 of model 'mlp' is not serving"));
    expect(new UnroutableError('x').status).toBe(404);
  });

  it('answers 404 for a model without a route', () => {
    expect(() => resolveTarget('nope', undefined)).toThrow("model 'nope' not found");
  });

  it('answers 503 with Retry-After, not 404, for a miss while the table is not there (Redis lost it)', () => {
    let thrown: unknown;
    try {
      resolveTarget('mlp', undefined, undefined, undefined, false);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RoutingUnavailableError);
    expect(thrown).not.toBeInstanceOf(UnroutableError);
    expect((thrown as RoutingUnavailableError).status).toBe(503);
    expect((thrown as RoutingUnavailableError).retryAfterSeconds).toBe(1);
  });

  it('serves a route kept from the last table while the table is not there', () => {
    expect(resolveTarget('mlp', route, undefined, undefined, false).target.version).toBe(2);
  });
});

describe('weighted sticky split', () => {
  const keys = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
  const withWeights = (w1: number, w2: number): RouteEntry => ({
    ...route,
    targets: [
      { version: 1, pool: 'cpu.ae', weight: w1 },
      { version: 2, pool: 'cpu.ae', weight: w2 },
    ],
  });
  const versionOf = (r: RouteEntry, key: string) => resolveTarget('mlp', r, undefined, key).target.version;

  it('sends each version its share within ±2 points over many keys', () => {
    for (const [w1, w2] of [
      [90, 10],
      [50, 50],
      [5, 95],
    ]) {
      const r = withWeights(w1, w2);
      const share = keys.filter((k) => versionOf(r, k) === 1).length / keys.length;
      expect(Math.abs(share * 100 - w1)).toBeLessThan(2);
    }
  });

  it('keeps a key on its version while the weights stand', () => {
    const r = withWeights(90, 10);
    for (const key of keys.slice(0, 500)) expect(versionOf(r, key)).toBe(versionOf(withWeights(90, 10), key));
  });

  it('moves only the share that must move when the weights change', () => {
    const before = withWeights(90, 10);
    const after = withWeights(80, 20);
    const moved = keys.filter((k) => versionOf(before, k) !== versionOf(after, k));
    // Every key that moved went from 1 to 2, and about 10 % of keys moved.
    expect(moved.every((k) => versionOf(before, k) === 1 && versionOf(after, k) === 2)).toBe(true);
    expect(Math.abs((moved.length / keys.length) * 100 - 10)).toBeLessThan(2);
  });

  it('never sends traffic to a weight-0 target and hashes per model', () => {
    const r = withWeights(100, 0);
    expect(keys.slice(0, 1000).every((k) => versionOf(r, k) === 1)).toBe(true);
    expect(stickyPoint('a', 'k')).not.toBe(stickyPoint('b', 'k'));
    expect(stickyPoint('a', 'k')).toBeGreaterThanOrEqual(0);
    expect(stickyPoint('a', 'k')).toBeLessThan(100);
  });

  it('lets a version asked for win over the split', () => {
    expect(resolveTarget('mlp', withWeights(100, 0), '2', 'anyone').target.version).toBe(2);
  });

  it('falls back to the other targets, heaviest first', () => {
    const r = withWeights(0, 100);
    expect(fallbackTargets(r, r.targets[1]).map((t) => t.version)).toEqual([1]);
  });

  it('resolves in microseconds', () => {
    const r = withWeights(90, 10);
    const times: number[] = [];
    for (const key of keys) {
      const t0 = performance.now();
      resolveTarget('mlp', r, undefined, key);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    expect(times[Math.floor(times.length * 0.99)]).toBeLessThan(1);
  });
});
