/**
 * The streaming bridge's memory of requests already answered: one string key per tenant and
 * request id, kept for the dedupe window, so a redelivered request is not run twice. Request ids
 * are the clients' own, hence the tenant in the key: one tenant's id never stops another's request.
 */
export const answeredStreamRequestKey = (prefix: string, tenantId: string, requestId: string): string => `${prefix}:stream:answered:${tenantId}:${requestId}`;
/** Every such key (the Redis ACL's pattern; redis-keys.spec.ts checks it matches the keys). */
export const answeredStreamRequestsPattern = (prefix: string): string => `${prefix}:stream:answered:*`;
