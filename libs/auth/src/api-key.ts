import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `fj_<id>_<secret>`: the id names the key (and is safe to log), the secret
 * proves it. Only sha256(secret) is stored anywhere; the key is shown once, at creation.
 */
const API_KEY = /^fj_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiKey {
  id: string;
  secret: string;
}

export function parseApiKey(credential: string): ParsedApiKey | null {
  const match = API_KEY.exec(credential);
  return match ? { id: match[1], secret: match[2] } : null;
}

/** Whether a credential has the shape of an API key (rather than a JWT). */
export const looksLikeApiKey = (credential: string): boolean => credential.startsWith('fj_');

export function generateApiKey(): { id: string; secret: string; key: string; secretSha256: string } {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, key: `fj_${id}_${secret}`, secretSha256: sha256Hex(secret) };
}

export const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');

/** Compares a presented secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedSha256: string): boolean {
  const presented = Buffer.from(sha256Hex(secret), 'hex');
  const stored = Buffer.from(storedSha256, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}
