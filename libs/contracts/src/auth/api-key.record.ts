import { z } from 'zod';

/**
 * Redis hash of the active API keys, one field per key id, mirrored by the registry (the
 * source of truth is its `api_keys` table). Every app that authenticates reads it, with a
 * short cache, instead of calling the registry per request.
 */
export const apiKeysKey = (prefix: string): string => `${prefix}:apikeys:v1`;

export const ApiKeyRecordSchema = z.object({
  /** sha256 (hex) of the key's secret part; the key itself is never stored. */
  secretSha256: z.string().regex(/^[0-9a-f]{64}$/),
  tenantId: z.string().min(1),
  /** The principal's subject: `apikey:<id>`. */
  subject: z.string().min(1),
  scopes: z.array(z.string()),
  residency: z.string().optional(),
});
export type ApiKeyRecord = z.infer<typeof ApiKeyRecordSchema>;
