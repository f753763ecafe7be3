import type { RouteEntry, RouteTarget } from '@falaj/contracts';
import type { Placement } from './placement';
import { readyTarget } from './ready-target.policy';

/** A route of three versions on cpu.ae; `ready` says which of them a worker has ready. */
function scenario(ready: number[]) {
  const route: RouteEntry = {
    tenantId: 'acme',
    model: 'scorer',
    targets: [
      { version: 1, pool: 'cpu.ae', weight: 30 },
      { version: 2, pool: 'cpu.ae', weight: 0 },
      { version: 3, pool: 'cpu.ae', weight: 70 },
    ],
    signatures: {},
    regions: [],
    slaP95Ms: null,
    hardware: 'cpu',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
  const placed: number[] = [];
  const place = (target: RouteTarget): Placement => {
    placed.push(target.version);
    return ready.includes(target.version)
      ? { pool: 'cpu.ae', reason: 'fixed', explanation: 'fixed: deployment hardware cpu', candidates: ['cpu.ae'], estimates: [] }
      : { pool: null, reason: 'none-ready', explanation: `none-ready: no worker of cpu.ae has version ${target.version} ready`, candidates: ['cpu.ae'], estimates: [] };
  };
  const chosen = (version: number) => {
    const target = route.targets.find((t) => t.version === version)!;
    return { target, placement: place(target) };
  };
  return { route, place, placed, chosen };
}

describe('readyTarget', () => {
  it('keeps the chosen target when a pool has it ready, trying no other', () => {
    const { route, place, placed, chosen } = scenario([1, 3]);
    const choice = chosen(3);
    expect(readyTarget(route, choice, true, place)).toBe(choice);
    expect(placed).toEqual([3]);
  });

  it('falls back to the heaviest other ready target while the chosen one is loading', () => {
    const { route, place, placed, chosen } = scenario([1, 2]);
    const served = readyTarget(route, chosen(3), true, place);
    expect(served.target.version).toBe(1);
    expect(served.placement.pool).toBe('cpu.ae');
    // Heaviest first: version 1 (weight 30) is ready, so version 2 (weight 0) is never placed.
    expect(placed).toEqual([3, 1]);
  });

  it('takes a lighter target when the heavier ones are not ready either', () => {
    const { route, place, chosen } = scenario([2]);
    expect(readyTarget(route, chosen(3), true, place).target.version).toBe(2);
  });

  it('never falls back from a version the caller asked for', () => {
    const { route, place, placed, chosen } = scenario([1]);
    const choice = chosen(3);
    expect(readyTarget(route, choice, false, place)).toBe(choice);
    expect(placed).toEqual([3]);
  });

  it("returns the chosen target's miss when no target is ready", () => {
    const { route, place, placed, chosen } = scenario([]);
    const choice = chosen(3);
    const served = readyTarget(route, choice, true, place);
    expect(served).toBe(choice);
    expect(served.placement).toMatchObject({ pool: null, explanation: 'none-ready: no worker of cpu.ae has version 3 ready' });
    expect(placed).toEqual([3, 1, 2]);
  });
});
