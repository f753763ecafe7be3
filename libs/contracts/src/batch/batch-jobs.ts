import { z } from 'zod';

/**
 * Batch and async inference over BullMQ. Postgres (the registry) holds every job and row as the
 * source of truth; these queues only carry work: chunks of rows to the pool's workers, and
 * their answers back to the registry. Losing Redis loses no job: the registry re-enqueues.
 */
export const bullPrefix = (prefix: string): string => `${prefix}:bull`;
/** One chunk queue per pool, so a chunk runs where its model version is hosted. */
export const batchChunkQueue = (pool: string): string => `batch-chunks-v1-${pool.replace(/[^a-z0-9-]/g, '-')}`;
export const BATCH_RESULTS_QUEUE = 'batch-results-v1';

export enum BatchJobName {
  RunChunk = 'run-chunk',
  ChunkResults = 'chunk-results',
}

export const BatchRowSchema = z.object({ index: z.number().int().nonnegative(), request: z.unknown() });

export const BatchChunkPayloadSchema = z.object({
  jobId: z.uuid(),
  chunk: z.number().int().nonnegative(),
  tenantId: z.string().min(1),
  model: z.string().min(1),
  version: z.number().int().positive(),
  /** The job's BullMQ priority (1 highest); its answers travel back at the same priority. */
  priority: z.number().int().min(1).max(1000).default(100),
  rows: z.array(BatchRowSchema).min(1),
});
export type BatchChunkPayload = z.infer<typeof BatchChunkPayloadSchema>;

export const BatchRowResultSchema = z.discriminatedUnion('ok', [
  z.object({ index: z.number().int().nonnegative(), ok: z.literal(true), response: z.record(z.string(), z.unknown()) }),
  z.object({ index: z.number().int().nonnegative(), ok: z.literal(false), status: z.number().int(), error: z.string() }),
]);
export type BatchRowResult = z.infer<typeof BatchRowResultSchema>;

export const BatchChunkResultSchema = z.object({
  jobId: z.uuid(),
  chunk: z.number().int().nonnegative(),
  workerId: z.string().min(1),
  rows: z.array(BatchRowResultSchema),
});
export type BatchChunkResult = z.infer<typeof BatchChunkResultSchema>;

/** The deterministic BullMQ job id of a chunk: adding it twice is a no-op. */
export const chunkJobId = (jobId: string, chunk: number, attempt: number): string => `${jobId}-c${chunk}-a${attempt}`;
