import { z } from 'zod';
import { ModelStageSchema } from '@falaj/contracts';

export const ChangeStageSchema = z.object({
  stage: ModelStageSchema,
  reason: z.string().max(1000).default(''),
});
export type ChangeStageDto = z.infer<typeof ChangeStageSchema>;

export const RollbackSchema = z.object({ reason: z.string().max(1000).default('') }).default({ reason: '' });
export type RollbackDto = z.infer<typeof RollbackSchema>;

/** Largest lineage document stored with a version, serialized. */
export const MAX_LINEAGE_BYTES = 64 * 1024;

/**
 * Where a version came from, MLflow-style: free-form but bounded. Sent with the upload (multipart
 * field `lineage` before the file, or header `x-falaj-lineage` for a raw body), immutable after.
 */
export const VersionLineageSchema = z
  .object({
    sourceRun: z.string().max(1000).optional(),
    dataset: z.string().max(1000).optional(),
    metrics: z.record(z.string().max(200), z.unknown()).optional(),
  })
  .catchall(z.unknown())
  .refine((lineage) => Buffer.byteLength(JSON.stringify(lineage)) <= MAX_LINEAGE_BYTES, `lineage exceeds ${MAX_LINEAGE_BYTES} bytes`);
export type VersionLineage = z.infer<typeof VersionLineageSchema>;
