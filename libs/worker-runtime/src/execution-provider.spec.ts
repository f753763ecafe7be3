import { modelMemoryBudget, providerConfig } from './execution-provider';

const settings = { deviceId: 3, memoryLimitBytes: 8e9 };

describe('providerConfig', () => {
  it('pins CUDA to the device with no CPU fallback inside the session', () => {
    expect(providerConfig('cuda', settings)).toEqual([{ name: 'cuda', deviceId: 3 }]);
    expect(providerConfig('cpu', settings)).toEqual(['cpu']);
  });
});

describe('modelMemoryBudget', () => {
  const cuda = { executionProviders: [], name: 'cuda' as const, hardwareAvailable: true };
  const cpu = { executionProviders: [], name: 'cpu' as const, hardwareAvailable: false };

  it("holds a CUDA worker's models to the GPU memory limit unless a budget is configured", () => {
    expect(modelMemoryBudget(0, cuda, settings)).toBe(8e9);
    expect(modelMemoryBudget(1e9, cuda, settings)).toBe(1e9);
  });

  it('leaves a CPU worker unbounded when the budget is set to 0', () => {
    expect(modelMemoryBudget(0, cpu, settings, 4e9)).toBe(0);
  });

  it('falls back to the machine-derived default when no budget is set', () => {
    expect(modelMemoryBudget(undefined, cpu, settings, 4e9)).toBe(4e9);
    expect(modelMemoryBudget(undefined, cuda, settings, 4e9)).toBe(8e9);
  });
});
