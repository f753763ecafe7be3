import { execFile } from 'node:child_process';
import { Gauge } from 'prom-client';
import type { AppMetrics } from './app-metrics';
import { nvidiaSmiArgs, parseNvidiaSmi, type GpuSample } from './nvidia-smi.policy';

/** nvidia-smi is asked at most this often, however often Prometheus scrapes. */
const SAMPLE_EVERY_MS = 5_000;
const NVIDIA_SMI_TIMEOUT_MS = 3_000;

/** Reads the GPUs' samples; `nvidia-smi --query-gpu` unless a test gives its own. */
export type GpuSampler = () => Promise<GpuSample[]>;

export const nvidiaSmiSampler =
  (binary = 'nvidia-smi'): GpuSampler =>
  () =>
    new Promise((resolve) => {
      execFile(binary, nvidiaSmiArgs(), { timeout: NVIDIA_SMI_TIMEOUT_MS, windowsHide: true }, (error, stdout) => resolve(error ? [] : parseNvidiaSmi(String(stdout))));
    });

/**
 * GPU utilisation, memory and power, as Triton's nv_gpu_* gauges, for a GPU worker that found a
 * GPU. Sampled at scrape time (cached SAMPLE_EVERY_MS); a failed sample leaves the gauges out
 * rather than reporting zeros. Never registered without a GPU: no process is started then.
 */
export class GpuMetrics {
  private last?: { at: number; samples: Promise<GpuSample[]> };

  constructor(
    metrics: AppMetrics,
    private readonly sampler: GpuSampler = nvidiaSmiSampler(),
  ) {
    const registers = [metrics.registry];
    const labelNames = ['gpu', 'uuid', 'name'] as const;
    const gauge = (name: string, help: string, value: (s: GpuSample) => number | null) => {
      const read = () => this.samples();
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          this.reset();
          for (const s of await read()) {
            const v = value(s);
            if (v !== null) this.set({ gpu: s.index, uuid: s.uuid, name: s.name }, v);
          }
        },
      });
    };
    gauge('falaj_gpu_utilization_ratio', "GPU utilisation over nvidia-smi's last sample period, 0–1; Triton: nv_gpu_utilization", (s) => s.utilization);
    gauge('falaj_gpu_memory_used_bytes', 'GPU memory in use (every process on the GPU); Triton: nv_gpu_memory_used_bytes', (s) => s.memoryUsedBytes);
    gauge('falaj_gpu_memory_total_bytes', 'GPU memory in all; Triton: nv_gpu_memory_total_bytes', (s) => s.memoryTotalBytes);
    gauge('falaj_gpu_power_watts', 'GPU power draw; Triton: nv_gpu_power_usage', (s) => s.powerWatts);
  }

  /** The cached sample, or a fresh one when it is older than SAMPLE_EVERY_MS (one nvidia-smi for the four gauges). */
  private samples(): Promise<GpuSample[]> {
    const now = Date.now();
    if (!this.last || now - this.last.at > SAMPLE_EVERY_MS) this.last = { at: now, samples: this.sampler() };
    return this.last.samples;
  }
}
