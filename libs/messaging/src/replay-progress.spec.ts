import { ReplayProgress } from './replay-progress';

describe(ReplayProgress.name, () => {
  describe('complete', () => {
    it('is complete once every assigned partition is read to where it ended', async () => {
      const progress = new ReplayProgress([
        { partition: 0, low: '0', high: '5' },
        { partition: 1, low: '3', high: '3' }, // empty (compacted away): read at once
        { partition: 2, low: '0', high: '2' },
      ]);
      progress.assigned([0, 1, 2]);
      progress.reached(0, 5n);
      expect(progress.complete).toBe(false);
      expect(progress.pending()).toEqual([2]);
      progress.reached(2, 1n);
      expect(progress.complete).toBe(false);
      progress.reached(2, 2n);
      expect(progress.complete).toBe(true);
      await expect(progress.done).resolves.toBeUndefined();
    });

    it('is never complete before an assignment, even with nothing to read', () => {
      const progress = new ReplayProgress([{ partition: 0, low: '0', high: '0' }]);
      expect(progress.complete).toBe(false);
      progress.assigned([0]);
      expect(progress.complete).toBe(true);
    });

    it('waits only for the partitions assigned here', () => {
      const progress = new ReplayProgress([
        { partition: 0, low: '0', high: '5' },
        { partition: 1, low: '0', high: '5' },
      ]);
      progress.assigned([1]);
      progress.reached(1, 5n);
      expect(progress.complete).toBe(true);
    });
  });
});
