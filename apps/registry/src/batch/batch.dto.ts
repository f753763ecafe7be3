import { z } from 'zod';
import { BATCH_JOB_STATES } from './batch-job.states';

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

export const SubmitJobQuerySchema = z.object({
  model: z.string().min(1).max(128),
  version: z.string().regex(/^\d+$/).optional(),
  /** 1 (highest) … 1000; BullMQ serves lower numbers first. */
  priority: z.coerce.number().int().min(1).max(1000).default(100),
  failFast: flag.default(false),
  chunkSize: z.coerce.number().int().min(1).max(10_000).default(200),
});
export type SubmitJobQuery = z.infer<typeof SubmitJobQuerySchema>;

export const JobIdSchema = z.uuid({ message: 'not a job id' });

export const JOBS_PAGE_MAX = 100;

/**
 * `GET /v2/batch/jobs`: the caller's tenant's batch jobs, newest first, a page at a time. The
 * cursor is the last job of the previous page (`nextCursor`): keyset pagination, so a page never
 * repeats or skips a job however many are submitted meanwhile.
 */
export const ListJobsQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(JOBS_PAGE_MAX).default(20),
    cursor: z.uuid({ message: 'not a cursor: pass the nextCursor of the previous page' }).optional(),
    state: z.enum(BATCH_JOB_STATES).optional(),
  })
  .strict();
export type ListJobsQuery = z.infer<typeof ListJobsQuerySchema>;
