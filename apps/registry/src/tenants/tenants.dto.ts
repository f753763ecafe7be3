import { z } from 'zod';
import { RegionSchema } from '@falaj/contracts';

/** What the audit log may keep of a request's payload. */
export const PAYLOAD_LOGGING = ['none', 'hashed', 'redacted', 'full'] as const;
export const PayloadLoggingSchema = z.enum(PAYLOAD_LOGGING);
export type PayloadLogging = z.infer<typeof PayloadLoggingSchema>;

export const CreateTenantSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, 'a slug: lowercase letters, digits, dashes'),
  name: z.string().min(1).max(200),
  residency: RegionSchema,
  payloadLogging: PayloadLoggingSchema.default('none'),
});
export type CreateTenantDto = z.infer<typeof CreateTenantSchema>;

/** Scopes a platform admin may hand a tenant's credentials (never platform or service scopes). */
export const TENANT_SCOPES = ['infer', 'models:read', 'models:write', 'deployments:write', 'audit:read', 'versions:pin'] as const;

export const IssueTokenSchema = z.object({
  subject: z.string().min(1).max(200),
  scopes: z.array(z.enum(TENANT_SCOPES)).min(1),
  ttlSeconds: z.number().int().min(60).max(365 * 24 * 3600).default(24 * 3600),
});
export type IssueTokenDto = z.infer<typeof IssueTokenSchema>;

export const CreateApiKeySchema = z.object({
  name: z.string().min(1).max(200),
  scopes: z.array(z.enum(TENANT_SCOPES)).min(1),
});
export type CreateApiKeyDto = z.infer<typeof CreateApiKeySchema>;
