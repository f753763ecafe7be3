import { z } from 'zod';
import { RetentionDaysSchema } from './retention.policy';

/** A tenant's retention, whole (PUT): a field left out or null is the platform's default. */
export const TenantRetentionSchema = z.strictObject({
  auditRetentionDays: RetentionDaysSchema.nullable().default(null),
  jobRetentionDays: RetentionDaysSchema.nullable().default(null),
});
export type TenantRetentionDto = z.infer<typeof TenantRetentionSchema>;

export const RetentionRunsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type RetentionRunsQuery = z.infer<typeof RetentionRunsQuerySchema>;
