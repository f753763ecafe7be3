import { z } from 'zod';

/** At most this many request ids in one request: one statement's array, bounded. */
export const ERASURE_MAX_REQUEST_IDS = 1000;

/**
 * What to erase: every record of a data subject (the `subject` the calls were made as: a person's
 * token, or an end user a service acts for) and/or of named calls (their request ids), in one
 * tenant. A platform admin names the tenant; a tenant's account erases in its own.
 */
export const ErasureRequestSchema = z
  .object({
    tenant: z.string().min(1).max(63).optional(),
    subject: z.string().min(1).max(200).optional(),
    requestIds: z.array(z.string().min(1).max(200)).min(1).max(ERASURE_MAX_REQUEST_IDS).optional(),
  })
  .strict()
  .refine((r) => r.subject !== undefined || r.requestIds !== undefined, { message: 'name a subject, requestIds, or both' });
export type ErasureRequest = z.infer<typeof ErasureRequestSchema>;
