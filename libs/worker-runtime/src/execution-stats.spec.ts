import { ExecutionStats } from './execution-stats';

describe(ExecutionStats.name, () => {
  describe('snapshot', () => {
    it('reports no percentiles before the first run', () => {
      expect(new ExecutionStats().snapshot()).toEqual({ executions: 0, requests: 0, fallbacks: 0, batchSizes: {} });
    });

    it('counts runs and requests, the batch-size histogram, and nearest-rank percentiles', () => {
      const stats = new ExecutionStats();
      for (let ms = 1; ms <= 100; ms++) stats.record(ms, ms % 10 === 0 ? 8 : 1);
      stats.recordFallback();
      expect(stats.snapshot()).toEqual({
        executions: 100,
        requests: 90 + 10 * 8,
        fallbacks: 1,
        batchSizes: { '1': 90, '8': 10 },
        p50Ms: 50,
        p95Ms: 95,
      });
    });

    it('keeps only the latest 512 runs for the percentiles', () => {
      const stats = new ExecutionStats();
      for (let i = 0; i < 512; i++) stats.record(1000, 1);
      for (let i = 0; i < 512; i++) stats.record(2, 1);
      expect(stats.snapshot()).toMatchObject({ executions: 1024, p50Ms: 2, p95Ms: 2 });
    });
  });
});
