import { ConsumerState, restartBackoffMs } from './consumer-state';

describe(ConsumerState.name, () => {
  let now = 1_000_000;
  const clock = () => now;

  describe('readiness', () => {
    it('is not ready before the group is joined, and ready once it is', () => {
      const state = new ConsumerState(clock);
      expect(() => state.readiness()).toThrow(/^streaming consumer starting since /);
      state.joined();
      expect(state.readiness()).toMatchObject({ status: 'running', consecutiveFailures: 0, lastBatchAt: null });
    });

    it('is not ready from a crash until the group is joined again, and says why and since when', () => {
      const state = new ConsumerState(clock);
      state.joined();
      now += 5000;
      state.crashed(new Error('The producer attempted to use a producer id which is not currently assigned to its transactional id'));
      const since = new Date(now).toISOString();
      now += 3000;
      state.crashed(new Error('still fenced'));
      expect(() => state.readiness()).toThrow(`streaming consumer restarting since ${since} after 2 consecutive failure(s), last: still fenced`);
      state.joined();
      expect(state.readiness()).toMatchObject({ status: 'running', consecutiveFailures: 2, lastError: 'still fenced' });
      state.batchCommitted();
      expect(state.readiness()).toMatchObject({ consecutiveFailures: 0, lastBatchAt: new Date(now).toISOString() });
    });

    it('stays stopped once stopped (shutdown), whatever joins late', () => {
      const state = new ConsumerState(clock);
      state.stopped();
      state.joined();
      expect(() => state.readiness()).toThrow(/^streaming consumer stopped/);
    });
  });

  describe('crashed', () => {
    it('backs off exponentially from 1 s to at most 30 s', () => {
      const state = new ConsumerState(clock);
      expect([1, 2, 3, 4, 5, 6].map(() => state.crashed(new Error('x')))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000]);
      expect(restartBackoffMs(1000)).toBe(30_000);
    });
  });
});
