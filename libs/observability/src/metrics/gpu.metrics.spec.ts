import { AppMetrics } from './app-metrics';
import { GpuMetrics } from './gpu.metrics';

describe(GpuMetrics.name, () => {
  it("exports Triton's GPU gauges from one sample, asked once for all of them", async () => {
    const app = new AppMetrics('gpu-worker');
    let asked = 0;
    new GpuMetrics(app, async () => {
      asked++;
      return [{ index: '0', uuid: 'GPU-1', name: 'NVIDIA H200', utilization: 0.5, memoryUsedBytes: 1024, memoryTotalBytes: 4096, powerWatts: null }];
    });
    const text = await app.text();
    expect(text).toMatch(/^falaj_gpu_utilization_ratio\{gpu="0",uuid="GPU-1",name="NVIDIA H200"\} 0\.5$/m);
    expect(text).toMatch(/^falaj_gpu_memory_used_bytes\{gpu="0",uuid="GPU-1",name="NVIDIA H200"\} 1024$/m);
    expect(text).toMatch(/^falaj_gpu_memory_total_bytes\{gpu="0",uuid="GPU-1",name="NVIDIA H200"\} 4096$/m);
    // Not reported by the GPU: left out, never 0.
    expect(text).not.toMatch(/^falaj_gpu_power_watts\{/m);
    expect(asked).toBe(1);
  });

  it('exports no sample when nvidia-smi is missing or fails', async () => {
    const app = new AppMetrics('gpu-worker');
    const { nvidiaSmiSampler } = await import('./gpu.metrics');
    new GpuMetrics(app, nvidiaSmiSampler('/nonexistent/nvidia-smi'));
    expect(await app.text()).not.toMatch(/^falaj_gpu_\w+\{/m);
  });
});
