import { warmupBytes, warmupFeeds } from './warmup-feeds';
import { defaultModelMemoryBudget } from './worker.config';

describe(warmupBytes.name, () => {
  it('sums every input at its declared shape, dynamic dims as 1, without allocating anything', () => {
    const signature = {
      inputs: [
        { name: 'x', datatype: 'FP32' as const, shape: [-1, 4] },
        { name: 'ids', datatype: 'INT64' as const, shape: [2, -1] },
      ],
      outputs: [],
    };
    expect(warmupBytes(signature)).toBe(16 + 16);
    expect(Object.values(warmupFeeds(signature)).map((t) => t.dims)).toEqual([
      [1, 4],
      [2, 1],
    ]);
  });

  it('sizes the [65536, 65536, 65536] input of a hostile model far over any warm-up limit', () => {
    expect(warmupBytes({ inputs: [{ name: 'x', datatype: 'FP32', shape: [65536, 65536, 65536] }], outputs: [] })).toBe(4 * 65536 ** 3);
  });
});

describe(defaultModelMemoryBudget.name, () => {
  it('is half the machine memory, never 0', () => {
    expect(defaultModelMemoryBudget(16 * 1024 ** 3)).toBe(8 * 1024 ** 3);
    expect(defaultModelMemoryBudget()).toBeGreaterThan(0);
  });
});
