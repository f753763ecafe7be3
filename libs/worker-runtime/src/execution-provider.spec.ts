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

  it('holds a CUDA worker\'s models to the GPU memory limit unless a budget is configured', () => {
    expect(modelMemoryBudget(0, cuda, settings)).toBe(8e9);
    expect(modelMemoryBudget(1e9, cuda, settings)).toBe(1e9);
  });

  it('leaves a CPU worker unbounded unless a budget is configured', () => {
    expect(modelMemoryBudget(0, cpu, settings)).toBe(0);
  });
});
