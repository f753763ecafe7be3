/**
 * One-time authorization codes of the built-in issuer (authorization code + PKCE), one string key
 * each, named by the sha256 of the code (a copy of Redis holds no code that could be redeemed),
 * with the code's short expiry as its TTL; redeemed by GETDEL, so exactly once across registries.
 */
export const authorizationCodesPrefix = (prefix: string): string => `${prefix}:oauth-codes:v1:`;
export const authorizationCodeKey = (prefix: string, codeSha256: string): string => `${authorizationCodesPrefix(prefix)}${codeSha256}`;
