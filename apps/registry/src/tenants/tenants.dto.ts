import { z } from 'zod';
import { TENANT_SCOPES } from '@falaj/auth';
import { RegionSchema } from '@falaj/contracts';
import { RetentionDaysSchema } from '../retention/retention.policy';

/** What the audit log may keep of a request's payload. */
export const PAYLOAD_LOGGING = ['none', 'hashed', 'redacted', 'full'] as const;
export const PayloadLoggingSchema = z.enum(PAYLOAD_LOGGING);
export type PayloadLogging = z.infer<typeof PayloadLoggingSchema>;

export const CreateTenantSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, 'a slug: lowercase letters, digits, dashes'),
  name: z.string().min(1).max(200),
  residency: RegionSchema,
  payloadLogging: PayloadLoggingSchema.default('none'),
  /** Days kept; null or absent: the platform's default (README: Retention). */
  auditRetentionDays: RetentionDaysSchema.nullable().default(null),
  jobRetentionDays: RetentionDaysSchema.nullable().default(null),
});
export type CreateTenantDto = z.infer<typeof CreateTenantSchema>;


export const CreateApiKeySchema = z.object({
  name: z.string().min(1).max(200),
  scopes: z.array(z.enum(TENANT_SCOPES)).min(1),
});
export type CreateApiKeyDto = z.infer<typeof CreateApiKeySchema>;
