import { z } from 'zod';
import { TENANT_SCOPES } from '@falaj/auth';
import { PayloadLoggingSchema, RegionSchema } from '@falaj/contracts';
import { RetentionDaysSchema } from '../retention/retention.policy';

export const CreateTenantSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, 'a slug: lowercase letters, digits, dashes'),
  name: z.string().min(1).max(200),
  residency: RegionSchema,
  payloadLogging: PayloadLoggingSchema.default('none'),
  /** Days kept; null or absent: the platform's default (docs/audit.md#retention). */
  auditRetentionDays: RetentionDaysSchema.nullable().default(null),
  jobRetentionDays: RetentionDaysSchema.nullable().default(null),
  /** Refuse a call (503) rather than serve it unaudited: see PUT /admin/tenants/:id/audit-policy. */
  mustAudit: z.boolean().default(false),
});
export type CreateTenantDto = z.infer<typeof CreateTenantSchema>;

/** What a platform admin may change of a tenant: its payload-logging policy. */
export const UpdateTenantSchema = z.object({ payloadLogging: PayloadLoggingSchema }).strict();
export type UpdateTenantDto = z.infer<typeof UpdateTenantSchema>;

export const CreateApiKeySchema = z.object({
  name: z.string().min(1).max(200),
  scopes: z.array(z.enum(TENANT_SCOPES)).min(1),
});
export type CreateApiKeyDto = z.infer<typeof CreateApiKeySchema>;
