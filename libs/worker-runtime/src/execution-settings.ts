import type { ServingSettings } from '@falaj/contracts';

/** How one model version runs on this worker, every field decided. */
export interface ExecutionSettings {
  batching: {
    enabled: boolean;
    /** Most items (sum of the requests' batch dimensions) in one run, as Triton's max_batch_size. */
    maxBatchSize: number;
    /** How long a queued request may wait for company before it runs anyway; 0 = only what is already queued. */
    maxQueueDelayMicros: number;
    /** Batch sizes the scheduler prefers to cut at, as Triton's preferred_batch_size. */
    preferredBatchSizes: number[];
  };
  /** Sessions of the version; each takes the next batch when it is free. */
  instanceCount: number;
  /** onnxruntime intra-op threads per session; 0 lets onnxruntime choose. */
  intraOpThreads: number;
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  enableMemoryArena: boolean;
}

/** The operator's switches in the worker's environment: each set one beats every model's spec. */
export interface ExecutionOverrides {
  batchingEnabled?: boolean;
  maxBatchSize?: number;
  maxQueueDelayMicros?: number;
  instanceCount?: number;
  intraOpThreads?: number;
}

/**
 * Where the spec is silent: batching on with Triton's default of no queue delay (requests batch
 * only while an instance is busy, so a lone request never waits), one instance. A maximum of 8:
 * on this project's CPU machines a CNN's per-item cost rises past batch 4-8 with one intra-op
 * thread (see docs/benchmarks.md), so larger batches buy latency, not throughput; a spec raises it
 * for models that batch well (GPUs, MLPs).
 */
export const DEFAULT_EXECUTION: ExecutionSettings = {
  batching: { enabled: true, maxBatchSize: 8, maxQueueDelayMicros: 0, preferredBatchSizes: [] },
  instanceCount: 1,
  intraOpThreads: 0,
  graphOptimizationLevel: 'all',
  enableMemoryArena: true,
};

/** Built-in defaults, then the version's `serving` spec, then the worker's overrides. */
export function resolveExecutionSettings(serving: ServingSettings | undefined, overrides: ExecutionOverrides = {}, defaults: ExecutionSettings = DEFAULT_EXECUTION): ExecutionSettings {
  const b = serving?.batching ?? {};
  overrides = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const maxBatchSize = overrides.maxBatchSize ?? b.maxBatchSize ?? defaults.batching.maxBatchSize;
  return {
    batching: {
      enabled: (overrides.batchingEnabled ?? b.enabled ?? defaults.batching.enabled) && maxBatchSize > 1,
      maxBatchSize,
      maxQueueDelayMicros: overrides.maxQueueDelayMicros ?? b.maxQueueDelayMicros ?? defaults.batching.maxQueueDelayMicros,
      // Sizes above the maximum could never be formed.
      preferredBatchSizes: [...new Set(b.preferredBatchSizes ?? defaults.batching.preferredBatchSizes)].filter((s) => s <= maxBatchSize).sort((x, y) => x - y),
    },
    instanceCount: overrides.instanceCount ?? serving?.instanceCount ?? defaults.instanceCount,
    intraOpThreads: overrides.intraOpThreads ?? serving?.intraOpThreads ?? defaults.intraOpThreads,
    graphOptimizationLevel: serving?.graphOptimizationLevel ?? defaults.graphOptimizationLevel,
    enableMemoryArena: serving?.enableMemoryArena ?? defaults.enableMemoryArena,
  };
}
