import { eventLoopAlive } from './event-loop.policy';

describe('eventLoopAlive', () => {
  it('is alive while the worst delay stays within the bound', () => {
    expect(eventLoopAlive({ maxMs: 120, p99Ms: 20 }, 5000)).toEqual({ alive: true });
  });

  it('is not alive once the loop stalled past the bound, saying for how long', () => {
    const verdict = eventLoopAlive({ maxMs: 7200, p99Ms: 7000 }, 5000);
    expect(verdict.alive).toBe(false);
    expect(verdict.reason).toMatch(/stalled for 7200 ms \(bound 5000 ms\)/);
  });
});
