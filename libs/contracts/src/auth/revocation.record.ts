/**
 * Redis hash of revoked credentials of the built-in issuer, mirrored by the registry (the source
 * of truth is Postgres) and followed in memory by every app that verifies tokens, so a revocation
 * takes effect within seconds although access tokens are verified offline.
 * - `client:<clientId>` → epoch seconds: every token of that client issued at or before it is revoked;
 * - `token:<jti>` → epoch seconds of the token's expiry: that one token is revoked until it expires.
 */
export const revocationsKey = (prefix: string): string => `${prefix}:revocations:v1`;
/** Pub/sub channel on which the registry announces a change of the hash. */
export const revocationsChangedChannel = (prefix: string): string => `${prefix}:revocations:v1:changed`;

export const revokedClientField = (clientId: string): string => `client:${clientId}`;
export const revokedTokenField = (jti: string): string => `token:${jti}`;
