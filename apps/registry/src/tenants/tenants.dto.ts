import { z } from 'zod';
import { RegionSchema } from '@falaj/contracts';

export const CreateTenantSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, 'a slug: lowercase letters, digits, dashes'),
  name: z.string().min(1).max(200),
  residency: RegionSchema,
});
export type CreateTenantDto = z.infer<typeof CreateTenantSchema>;

export const IssueTokenSchema = z.object({
  subject: z.string().min(1).max(200),
  scopes: z.array(z.enum(['infer', 'models:read', 'models:write', 'audit:read'])).min(1),
  ttlSeconds: z.number().int().min(60).max(365 * 24 * 3600).default(24 * 3600),
});
export type IssueTokenDto = z.infer<typeof IssueTokenSchema>;
