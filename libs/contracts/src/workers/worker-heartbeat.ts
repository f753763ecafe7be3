import { z } from 'zod';

/** Sorted set per pool: member = worker id, score = last heartbeat (ms since epoch). */
export const poolWorkersKey = (prefix: string, pool: string): string => `${prefix}:pool:${pool}:workers`;
/** A worker's latest heartbeat, JSON, expiring when the worker stops beating. */
export const workerHeartbeatKey = (prefix: string, workerId: string): string => `${prefix}:worker:${workerId}`;

export const HEARTBEAT_INTERVAL_MS = 1000;
/** A worker silent for longer than this is out of its pool. */
export const HEARTBEAT_TTL_MS = 5000;

/** `unloaded`: evicted from memory by the worker's model cache; still served, loaded again on demand. */
export const ModelLoadStateSchema = z.enum(['loading', 'ready', 'failed', 'unloaded']);
export type ModelLoadState = z.infer<typeof ModelLoadStateSchema>;

export const LoadedModelSchema = z.object({
  tenantId: z.string(),
  model: z.string(),
  version: z.number().int().positive(),
  state: ModelLoadStateSchema,
  reason: z.string().optional(),
  // Everything below is optional and additive: readers of older heartbeats keep working.
  /** Execution provider the version's sessions actually run on (`cpu`, `cuda`). */
  provider: z.string().optional(),
  instances: z.number().int().nonnegative().optional(),
  /** Estimated bytes of the version's sessions (artifact size × factor × instances). */
  memoryBytes: z.number().int().nonnegative().optional(),
  batching: z.boolean().optional(),
  /** Requests waiting in the version's batcher, and instances running now. */
  queueDepth: z.number().int().nonnegative().optional(),
  inFlight: z.number().int().nonnegative().optional(),
  /** Duration of the latest load (fetch, session creation, warm-up): the cold start. */
  loadMs: z.number().nonnegative().optional(),
  /** Times the version was loaded; above 1 it was evicted and loaded again on demand. */
  loads: z.number().int().nonnegative().optional(),
  stats: z
    .object({
      executions: z.number().int().nonnegative(),
      requests: z.number().int().nonnegative(),
      p50Ms: z.number().nonnegative().optional(),
      p95Ms: z.number().nonnegative().optional(),
      /** Runs by size in requests: `{ "1": 120, "8": 30 }`. */
      batchSizes: z.record(z.string(), z.number().int().nonnegative()),
      /** Merged runs that failed and were retried one request at a time. */
      fallbacks: z.number().int().nonnegative().optional(),
    })
    .optional(),
});
export type LoadedModel = z.infer<typeof LoadedModelSchema>;

export const WorkerHeartbeatSchema = z.object({
  workerId: z.string().min(1),
  pool: z.string().min(1),
  region: z.string().min(1),
  hardware: z.enum(['cpu', 'gpu']),
  executionProvider: z.string().min(1),
  models: z.array(LoadedModelSchema),
  inFlight: z.number().int().nonnegative(),
  sentAt: z.number().int().positive(),
  /** Requests the worker holds that wait for an instance, over all versions. */
  queueDepth: z.number().int().nonnegative().optional(),
  /** Resident set size of the worker process. */
  rssBytes: z.number().int().nonnegative().optional(),
  /** Estimated bytes of every loaded session, and the budget they must fit (0 = none). */
  modelMemoryBytes: z.number().int().nonnegative().optional(),
  modelMemoryBudgetBytes: z.number().int().nonnegative().optional(),
});
export type WorkerHeartbeat = z.infer<typeof WorkerHeartbeatSchema>;
