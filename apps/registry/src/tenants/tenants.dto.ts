import { z } from 'zod';
import { TENANT_SCOPES } from '@falaj/auth';
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
  /** Refuse a call (503) rather than serve it unaudited: see PUT /admin/tenants/:id/audit-policy. */
  mustAudit: z.boolean().default(false),
});
export type CreateTenantDto = z.infer<typeof CreateTenantSchema>;


export const CreateApiKeySchema = z.object({
  name: z.string().min(1).max(200),
  scopes: z.array(z.enum(TENANT_SCOPES)).min(1),
});
export type CreateApiKeyDto = z.infer<typeof CreateApiKeySchema>;
