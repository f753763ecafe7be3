/**
 * Where the first answer to a tenant's `Idempotency-Key` is kept: one string key per tenant and
 * key, the client's key hashed (SHA-256, hex) so that any bytes it sends name one safe key.
 */
export const idempotencyRecordKey = (prefix: string, tenantId: string, keyHash: string): string => `${prefix}:idempotency:v1:${tenantId}:${keyHash}`;
