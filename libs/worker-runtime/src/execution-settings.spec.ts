import { DEFAULT_EXECUTION, resolveExecutionSettings } from './execution-settings';

describe('resolveExecutionSettings', () => {
  it("takes Triton's defaults when the spec is silent", () => {
    expect(resolveExecutionSettings(undefined)).toEqual(DEFAULT_EXECUTION);
  });

  it("takes the spec over the defaults, and the worker's overrides over the spec", () => {
    const settings = resolveExecutionSettings(
      { batching: { enabled: true, maxBatchSize: 8, preferredBatchSizes: [16, 4, 2, 4] }, instanceCount: 2, graphOptimizationLevel: 'basic' },
      { batchingEnabled: false, instanceCount: 3, maxQueueDelayMicros: undefined },
    );
    expect(settings).toMatchObject({
      batching: { enabled: false, maxBatchSize: 8, maxQueueDelayMicros: 0, preferredBatchSizes: [2, 4] },
      instanceCount: 3,
      graphOptimizationLevel: 'basic',
      enableMemoryArena: true,
    });
  });

  it('turns batching off when a batch may hold only one item', () => {
    expect(resolveExecutionSettings({ batching: { maxBatchSize: 1 } }).batching.enabled).toBe(false);
  });
});
