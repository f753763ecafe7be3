import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Hardware } from '@falaj/contracts';

/** An 82-byte ONNX model (`y = Identity(x)`, float[1]) used to prove a provider really runs. */
const PROBE_MODEL = Buffer.from('CAgSC2ZhbGFqLXByb2JlOjsKEAoBeBIBeSIISWRlbnRpdHkSBXByb2JlWg8KAXgSCgoICAESBAoCCAFiDwoBeRIKCggIARIECgIIAUIECgAQEQ==', 'base64');

/** The CUDA provider's two libraries; libonnxruntime loads them from its own directory only. */
export const CUDA_PROVIDER_LIBRARIES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'] as const;

/** The directory of onnxruntime-node's native binding and libonnxruntime. */
export function ortBindingDir(): string {
  return join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin/napi-v6', process.platform, process.arch);
}

/** The CUDA provider libraries missing beside the binding (scripts/gpu/fetch-cuda-provider.sh places them). */
export function missingCudaLibraries(): string[] {
  const dir = ortBindingDir();
  return CUDA_PROVIDER_LIBRARIES.filter((lib) => !existsSync(join(dir, lib)));
}

export interface ProviderSettings {
  deviceId: number;
  memoryLimitBytes: number;
}

export interface ExecutionProviderReport {
  /** What the worker's sessions are created with. */
  executionProviders: InferenceSession.ExecutionProviderConfig[];
  /** The provider actually in use: `cpu` or `cuda`. */
  name: 'cpu' | 'cuda';
  /** Whether the hardware the worker was started for is the one it runs on. */
  hardwareAvailable: boolean;
  /** Why the GPU is not in use, when it is not. */
  reason?: string;
}

export function providerConfig(name: 'cpu' | 'cuda', settings: ProviderSettings): InferenceSession.ExecutionProviderConfig[] {
  if (name === 'cpu') return ['cpu'];
  // onnxruntime-node's binding (1.29 and 1.30 alike) reads only `deviceId` for CUDA (no gpu_mem_limit, arena or
  // cuDNN options reach the provider), so the memory limit is enforced by the worker's model cache
  // instead (see gpuModelBudget). No CPU entry after CUDA: a session that cannot run on the GPU
  // must fail, not slip to the CPU.
  return [{ name: 'cuda', deviceId: settings.deviceId }];
}

/**
 * Creates a session on the probe model with the requested provider and runs it once. onnxruntime
 * reports a missing CUDA library or driver only at this point, so nothing short of a real run
 * tells whether the GPU works.
 */
export async function detectExecutionProvider(hardware: Hardware, settings: ProviderSettings): Promise<ExecutionProviderReport> {
  if (hardware === 'cpu') return { executionProviders: ['cpu'], name: 'cpu', hardwareAvailable: true };
  const executionProviders = providerConfig('cuda', settings);
  try {
    const session = await InferenceSession.create(PROBE_MODEL, { executionProviders });
    try {
      const out = await session.run({ x: new Tensor('float32', Float32Array.from([42]), [1]) });
      if ((out.y.data as Float32Array)[0] !== 42) throw new Error('CUDA probe returned a wrong value');
    } finally {
      await session.release();
    }
    return { executionProviders, name: 'cuda', hardwareAvailable: true };
  } catch (error) {
    const missing = missingCudaLibraries();
    const why = missing.length > 0 ? `${missing.join(' and ')} not in ${ortBindingDir()} (run scripts/gpu/fetch-cuda-provider.sh); onnxruntime said: ` : '';
    return {
      executionProviders: ['cpu'],
      name: 'cpu',
      hardwareAvailable: false,
      reason: `CUDA execution provider unavailable: ${why}${(error as Error).message.split('\n')[0]}`,
    };
  }
}

/**
 * The model cache's budget on a worker: FALAJ_MODEL_MEMORY_BUDGET_BYTES when set above 0, else,
 * on a worker really running CUDA, FALAJ_GPU_MEMORY_LIMIT_BYTES (the binding cannot hand it to
 * the provider, so the estimate of the sessions' memory is held to it), else `fallback` (the
 * machine-derived default) when the variable is unset; set to 0, no budget.
 */
export function modelMemoryBudget(configured: number | undefined, report: ExecutionProviderReport, settings: ProviderSettings, fallback = 0): number {
  if (configured !== undefined && configured > 0) return configured;
  if (report.name === 'cuda' && settings.memoryLimitBytes > 0) return settings.memoryLimitBytes;
  return configured === 0 ? 0 : fallback;
}
