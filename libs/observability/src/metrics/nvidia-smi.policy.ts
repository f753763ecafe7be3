/** The fields asked of `nvidia-smi --query-gpu`, in this order, with `--format=csv,noheader,nounits`. */
export const NVIDIA_SMI_FIELDS = ['index', 'uuid', 'name', 'utilization.gpu', 'memory.used', 'memory.total', 'power.draw'] as const;

export const nvidiaSmiArgs = (): string[] => [`--query-gpu=${NVIDIA_SMI_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];

export interface GpuSample {
  index: string;
  uuid: string;
  name: string;
  /** 0–1 (nvidia-smi's percent / 100), as Triton's nv_gpu_utilization. */
  utilization: number | null;
  memoryUsedBytes: number | null;
  memoryTotalBytes: number | null;
  powerWatts: number | null;
}

const MIB = 1024 * 1024;

/**
 * One sample per GPU line. A field the GPU does not report (`[N/A]`, `[Not Supported]`) is null
 * and its gauge is left out, never read as 0; a line too short to be a GPU is skipped.
 */
export function parseNvidiaSmi(text: string): GpuSample[] {
  const samples: GpuSample[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length < NVIDIA_SMI_FIELDS.length || fields[0] === '') continue;
    const [index, uuid, name, utilization, used, total, power] = fields;
    const util = numberOf(utilization);
    const usedMiB = numberOf(used);
    const totalMiB = numberOf(total);
    samples.push({
      index,
      uuid,
      name,
      utilization: util === null ? null : util / 100,
      memoryUsedBytes: usedMiB === null ? null : usedMiB * MIB,
      memoryTotalBytes: totalMiB === null ? null : totalMiB * MIB,
      powerWatts: numberOf(power),
    });
  }
  return samples;
}

function numberOf(field: string): number | null {
  if (!/^-?\d+(\.\d+)?$/.test(field)) return null;
  return Number(field);
}
