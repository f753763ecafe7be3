import { z } from 'zod';

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
