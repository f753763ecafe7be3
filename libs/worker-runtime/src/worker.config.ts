import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import type { Hardware } from '@falaj/contracts';
import { commonEnv, envBoolean, envPort, envRegion, loadEnv } from '@falaj/config';

const schema = z.object({
  ...commonEnv,
  FALAJ_WORKER_PORT: envPort(8083),
  FALAJ_REGION: envRegion.default('ae'),
  FALAJ_REGISTRY_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8081'),
  FALAJ_MODEL_CACHE_DIR: z.string().min(1).default('.local/model-cache'),
  FALAJ_WORKER_ID: z.string().regex(/^[a-zA-Z0-9_.-]{1,100}$/).optional(),
  /** Requests one worker runs at once; onnxruntime runs them on its own thread pool. */
  FALAJ_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
  /** onnxruntime intra-op threads per session; 0 lets onnxruntime choose. */
  FALAJ_INTRA_OP_THREADS: z.coerce.number().int().min(0).max(256).default(0),
  FALAJ_GPU_DEVICE_ID: z.coerce.number().int().min(0).default(0),
  /** Upper bound of the CUDA memory arena in bytes; 0 = onnxruntime's default (no limit). */
  FALAJ_GPU_MEMORY_LIMIT_BYTES: z.coerce.number().int().min(0).default(0),
  /** Batch-job chunks one worker runs at once. */
  FALAJ_BATCH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** A batch chunk whose worker died is handed to another after this long. */
  FALAJ_BATCH_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /** Let a GPU worker without a working CUDA provider serve its pool on the CPU (tests, dev). */
  FALAJ_GPU_ALLOW_CPU_FALLBACK: envBoolean.default(false),
});

export function loadWorkerConfig(hardware: Hardware, env: NodeJS.ProcessEnv = process.env) {
  const app = `${hardware}-worker`;
  const e = loadEnv(app, schema, env);
  return {
    app,
    hardware,
    prefix: e.FALAJ_PREFIX,
    http: { host: e.FALAJ_HOST, port: e.FALAJ_WORKER_PORT },
    logLevel: e.FALAJ_LOG_LEVEL,
    jwtSecret: e.FALAJ_JWT_SECRET,
    kafka: { brokers: e.FALAJ_KAFKA_BROKERS },
    redisUrl: e.FALAJ_REDIS_URL,
    region: e.FALAJ_REGION,
    registryUrl: e.FALAJ_REGISTRY_URL.replace(/\/$/, ''),
    modelCacheDir: e.FALAJ_MODEL_CACHE_DIR,
    workerId: e.FALAJ_WORKER_ID ?? `${app}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    concurrency: e.FALAJ_WORKER_CONCURRENCY,
    intraOpThreads: e.FALAJ_INTRA_OP_THREADS,
    batch: { concurrency: e.FALAJ_BATCH_CONCURRENCY, lockMs: e.FALAJ_BATCH_LOCK_MS },
    gpu: {
      deviceId: e.FALAJ_GPU_DEVICE_ID,
      memoryLimitBytes: e.FALAJ_GPU_MEMORY_LIMIT_BYTES,
      allowCpuFallback: e.FALAJ_GPU_ALLOW_CPU_FALLBACK,
    },
  };
}
export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;
export const WORKER_CONFIG = Symbol('WORKER_CONFIG');
