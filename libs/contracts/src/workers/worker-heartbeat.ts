import { z } from 'zod';

/** Sorted set per pool: member = worker id, score = last heartbeat (ms since epoch). */
export const poolWorkersKey = (prefix: string, pool: string): string => `${prefix}:pool:${pool}:workers`;
/** A worker's latest heartbeat, JSON, expiring when the worker stops beating. */
export const workerHeartbeatKey = (prefix: string, workerId: string): string => `${prefix}:worker:${workerId}`;

export const HEARTBEAT_INTERVAL_MS = 1000;
/** A worker silent for longer than this is out of its pool. */
export const HEARTBEAT_TTL_MS = 5000;

export const ModelLoadStateSchema = z.enum(['loading', 'ready', 'failed', 'unloaded']);
export type ModelLoadState = z.infer<typeof ModelLoadStateSchema>;

export const LoadedModelSchema = z.object({
  tenantId: z.string(),
  model: z.string(),
  version: z.number().int().positive(),
  state: ModelLoadStateSchema,
  reason: z.string().optional(),
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
});
export type WorkerHeartbeat = z.infer<typeof WorkerHeartbeatSchema>;
