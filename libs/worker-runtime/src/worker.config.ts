import { randomBytes } from 'node:crypto';
import { hostname, totalmem } from 'node:os';
import { z } from 'zod';
import { DEFAULT_MAX_REPLY_BYTES, DEFAULT_WORKER_LEASE_MS, type Hardware } from '@falaj/contracts';
import { commonConfig, commonEnv, envBoolean, envPort, envRegion, loadEnv } from '@falaj/config';
import { DEFAULT_INLINE_RUN_MAX_MICROS } from './hosting/instance-placement.policy';

/** The GPU settings, shared with `npm run gpu-check`. */
export const gpuEnv = {
  FALAJ_GPU_DEVICE_ID: z.coerce.number().int().min(0).default(0),
  /** GPU memory the worker's sessions may use, enforced by the model cache's budget (the binding cannot pass gpu_mem_limit); 0 = none. */
  FALAJ_GPU_MEMORY_LIMIT_BYTES: z.coerce.number().int().min(0).default(0),
  /** Let a GPU worker without a working CUDA provider serve its pool on the CPU (tests, dev). */
  FALAJ_GPU_ALLOW_CPU_FALLBACK: envBoolean.default(false),
  /** Where scripts/gpu/fetch-cuda-provider.sh put the CUDA provider (it links them beside the binding). */
  FALAJ_ORT_CUDA_PROVIDER_DIR: z.string().min(1).optional(),
};

const schema = z.object({
  ...commonEnv,
  FALAJ_WORKER_PORT: envPort(8083),
  FALAJ_REGION: envRegion.default('ae'),
  FALAJ_REGISTRY_URL: z.url({ protocol: /^https?$/ }).default('https://127.0.0.1:8081'),
  FALAJ_MODEL_CACHE_DIR: z.string().min(1).default('.local/model-cache'),
  FALAJ_WORKER_ID: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{1,100}$/)
    .optional(),
  /** Requests one worker holds at once (queued in its batchers or running); the batchers need many to batch. */
  FALAJ_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(4096).default(64),
  /**
   * How long the worker's liveness lease outlives its last refresh (refreshed every quarter of it,
   * from a thread of its own): a killed worker's requests are claimed by the pool's others this
   * long after its death, plus one scan (a quarter of it, at most 250 ms).
   */
  FALAJ_WORKER_LEASE_MS: z.coerce.number().int().min(400).max(60_000).default(DEFAULT_WORKER_LEASE_MS),
  /** Most requests waiting in the batchers before the worker reads more; bounds one XREADGROUP too. */
  FALAJ_STREAM_READ_COUNT: z.coerce.number().int().min(1).max(4096).default(32),
  /** The largest answer a worker sends, its outputs' bytes; a larger one is answered 422 for that request only. */
  FALAJ_MAX_REPLY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(256 * 1024 * 1024)
    .default(DEFAULT_MAX_REPLY_BYTES),
  /** onnxruntime intra-op threads per session; 0 lets onnxruntime choose. */
  FALAJ_INTRA_OP_THREADS: z.coerce.number().int().min(0).max(256).default(0),
  // Operator overrides of every model's serving spec on this worker; unset = the spec, then Triton's defaults.
  FALAJ_BATCHING: envBoolean.optional(),
  FALAJ_BATCH_MAX_SIZE: z.coerce.number().int().min(1).max(4096).optional(),
  FALAJ_BATCH_MAX_QUEUE_DELAY_MICROS: z.coerce.number().int().min(0).max(10_000_000).optional(),
  FALAJ_INSTANCE_COUNT: z.coerce.number().int().min(1).max(64).optional(),
  /**
   * Estimated session memory the worker may hold; past it the least recently used versions are
   * evicted. Unset: half the machine's memory (os.totalmem() / 2; on CUDA the GPU limit). 0 = no limit.
   */
  FALAJ_MODEL_MEMORY_BUDGET_BYTES: z.coerce.number().int().min(0).optional(),
  /**
   * Largest warm-up feed (all of a model's inputs at their declared shape, dynamic dims as 1), in
   * bytes; a model whose feed is larger is served without a warm-up run (default 64 MiB).
   */
  FALAJ_WARMUP_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(64 * 1024 ** 2),
  /**
   * A version whose warm run (on zeros, at warm-up) takes longer than this, in µs, runs every
   * instance on a worker thread; a shorter one keeps its first instance on the JavaScript thread.
   * 0: every instance on a thread.
   */
  FALAJ_INLINE_RUN_MAX_MICROS: z.coerce.number().int().min(0).max(60_000_000).default(DEFAULT_INLINE_RUN_MAX_MICROS),
  /** A session's estimated cost = artifact bytes × this (weights, their optimised copies, arena headroom). */
  FALAJ_MODEL_MEMORY_FACTOR: z.coerce.number().min(1).max(100).default(2),
  /** How long a version taken out of the plan keeps serving (gateways may still route to it), in ms. */
  FALAJ_UNLOAD_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(5000),
  /** A file to append a line per model run to (RunLedger): the chaos run's count of duplicated runs. Unset: none. */
  FALAJ_RUN_LEDGER_FILE: z.string().min(1).optional(),
  ...gpuEnv,
});

export function loadWorkerConfig(hardware: Hardware, env: NodeJS.ProcessEnv = process.env) {
  const app = `${hardware}-worker`;
  const e = loadEnv(app, schema, env, [
    (v) => (v.FALAJ_CLIENT_ID && v.FALAJ_CLIENT_SECRET ? [] : ['FALAJ_CLIENT_ID and FALAJ_CLIENT_SECRET (or FALAJ_CLIENT_SECRET_FILE) must be set: the worker fetches artifacts as its own client']),
  ]);
  if (!e.FALAJ_CLIENT_ID || !e.FALAJ_CLIENT_SECRET) throw new Error('unreachable: checked by loadEnv');
  return {
    app,
    hardware,
    ...commonConfig(e, app),
    client: { clientId: e.FALAJ_CLIENT_ID, clientSecret: e.FALAJ_CLIENT_SECRET },
    http: { host: e.FALAJ_HOST, port: e.FALAJ_WORKER_PORT },
    region: e.FALAJ_REGION,
    registryUrl: e.FALAJ_REGISTRY_URL.replace(/\/$/, ''),
    modelCacheDir: e.FALAJ_MODEL_CACHE_DIR,
    workerId: e.FALAJ_WORKER_ID ?? `${app}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    concurrency: e.FALAJ_WORKER_CONCURRENCY,
    leaseMs: e.FALAJ_WORKER_LEASE_MS,
    intraOpThreads: e.FALAJ_INTRA_OP_THREADS,
    readCount: e.FALAJ_STREAM_READ_COUNT,
    maxReplyBytes: e.FALAJ_MAX_REPLY_BYTES,
    runLedgerFile: e.FALAJ_RUN_LEDGER_FILE,
    execution: {
      overrides: {
        batchingEnabled: e.FALAJ_BATCHING,
        maxBatchSize: e.FALAJ_BATCH_MAX_SIZE,
        maxQueueDelayMicros: e.FALAJ_BATCH_MAX_QUEUE_DELAY_MICROS,
        instanceCount: e.FALAJ_INSTANCE_COUNT,
      },
      memoryBudgetBytes: e.FALAJ_MODEL_MEMORY_BUDGET_BYTES,
      defaultMemoryBudgetBytes: defaultModelMemoryBudget(),
      warmupMaxBytes: e.FALAJ_WARMUP_MAX_BYTES,
      inlineRunMaxMicros: e.FALAJ_INLINE_RUN_MAX_MICROS,
      memoryFactor: e.FALAJ_MODEL_MEMORY_FACTOR,
      unloadGraceMs: e.FALAJ_UNLOAD_GRACE_MS,
    },
    gpu: {
      deviceId: e.FALAJ_GPU_DEVICE_ID,
      memoryLimitBytes: e.FALAJ_GPU_MEMORY_LIMIT_BYTES,
      allowCpuFallback: e.FALAJ_GPU_ALLOW_CPU_FALLBACK,
      providerDir: e.FALAJ_ORT_CUDA_PROVIDER_DIR,
    },
  };
}
export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;

/** The model memory budget when none is set: half the machine's memory, the rest for the process, the batchers and the OS. */
export function defaultModelMemoryBudget(total = totalmem()): number {
  return Math.floor(total / 2);
}
export const WORKER_CONFIG = Symbol('WORKER_CONFIG');

/** Only the GPU settings, for `npm run gpu-check` (no secret or broker needed to probe a device). */
export function loadGpuSettings(env: NodeJS.ProcessEnv = process.env) {
  const e = loadEnv('gpu-check', z.object(gpuEnv), env);
  return {
    deviceId: e.FALAJ_GPU_DEVICE_ID,
    memoryLimitBytes: e.FALAJ_GPU_MEMORY_LIMIT_BYTES,
    allowCpuFallback: e.FALAJ_GPU_ALLOW_CPU_FALLBACK,
    providerDir: e.FALAJ_ORT_CUDA_PROVIDER_DIR,
  };
}
