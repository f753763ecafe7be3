import { z } from 'zod';

export const AuditQuerySchema = z.object({
  model: z.string().max(128).optional(),
  requestId: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type AuditQuery = z.infer<typeof AuditQuerySchema>;
