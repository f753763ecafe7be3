import { z } from 'zod';

/**
 * Batch and async inference over BullMQ. Postgres (the registry) holds every job and row as the
 * source of truth; the queue only says which chunk of which job to run next, at the job's
 * priority. The registry's batch runner takes chunks off it and runs their rows through the
 * inference pipeline (libs/dispatch), as any call: the chunk names no tenant, model or row, so
 * what runs, for whom and where is read from Postgres, never from Redis. Losing Redis loses no
 * job: the registry re-enqueues.
 */
export const bullPrefix = (prefix: string): string => `${prefix}:bull`;
/** Every key BullMQ builds under that prefix, `<bull prefix>:<queue>:<key>` (the Redis ACL's pattern). */
export const bullKeysPattern = (prefix: string): string => `${bullPrefix(prefix)}:*`;
/** One queue for every pool: rows are placed per row, in the job's residency, by the pipeline. */
export const BATCH_RUNS_QUEUE = 'batch-runs-v1';

export enum BatchJobName {
  RunChunk = 'run-chunk',
}

export const BatchRunSchema = z.object({
  jobId: z.uuid(),
  chunk: z.number().int().nonnegative(),
});
export type BatchRun = z.infer<typeof BatchRunSchema>;

/** The deterministic BullMQ job id of a chunk's attempt: adding it twice is a no-op. */
export const chunkJobId = (jobId: string, chunk: number, attempt: number): string => `${jobId}-c${chunk}-a${attempt}`;
