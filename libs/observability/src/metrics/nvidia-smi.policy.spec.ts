import { nvidiaSmiArgs, parseNvidiaSmi } from './nvidia-smi.policy';

describe('parseNvidiaSmi', () => {
  it('reads one sample per GPU: utilisation as a ratio, memory in bytes, power in watts', () => {
    const text = '0, GPU-5f3c0e1a-aaaa-bbbb-cccc-000000000000, NVIDIA H200, 37, 1024, 143771, 118.52\n1, GPU-1, NVIDIA H200, 0, 0, 143771, 75.10\n';
    const [first, second] = parseNvidiaSmi(text);
    expect(first).toEqual({
      index: '0',
      uuid: 'GPU-5f3c0e1a-aaaa-bbbb-cccc-000000000000',
      name: 'NVIDIA H200',
      utilization: 0.37,
      memoryUsedBytes: 1024 * 1024 * 1024,
      memoryTotalBytes: 143771 * 1024 * 1024,
      powerWatts: 118.52,
    });
    expect(second.utilization).toBe(0);
  });

  it('leaves out what the GPU does not report, never reading it as 0', () => {
    const [gpu] = parseNvidiaSmi('0, GPU-x, Tesla T4, [N/A], 10, 15360, [Not Supported]');
    expect(gpu.utilization).toBeNull();
    expect(gpu.powerWatts).toBeNull();
    expect(gpu.memoryUsedBytes).toBe(10 * 1024 * 1024);
  });

  it('skips empty and short lines (no GPU: nvidia-smi prints an error, not CSV)', () => {
    expect(parseNvidiaSmi('')).toEqual([]);
    expect(parseNvidiaSmi('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.')).toEqual([]);
  });

  it('asks for CSV without header or units', () => {
    expect(nvidiaSmiArgs()).toEqual(['--query-gpu=index,uuid,name,utilization.gpu,memory.used,memory.total,power.draw', '--format=csv,noheader,nounits']);
  });
});
