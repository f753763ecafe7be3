import { deflateRawSync } from 'node:zlib';
import { z } from 'zod';

/** Words that mark a value someone meant to replace: shipped examples, placeholders, defaults. */
const PLACEHOLDER = /replace|change.?me|example|placeholder|dev.?only|do.?not|not.?for|secret|passw|default|dummy|sample|insecure|falaj/i;
/** Estimated bits a secret must carry: 128, as a random 128-bit key does. */
const MIN_BITS = 128;

/**
 * An upper bound on a value's randomness: the lesser of the Shannon entropy of its own characters
 * times its length, and its size deflated (which sees repeated runs such as `0123456789` × 4).
 */
export function estimatedBits(value: string): number {
  return Math.min(characterBits(value), deflateRawSync(value, { level: 9 }).length * 8);
}

function characterBits(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / value.length) * Math.log2(n / value.length);
  return perChar * value.length;
}

/**
 * A secret that must be random: at least 32 characters, no placeholder word, and an estimated
 * 128 bits or more, so a value copied from an example or typed by hand refuses to start the app
 * (the error never shows the value: loadEnv hides variables named like secrets).
 */
export const strongSecret = () =>
  z
    .string()
    .min(32, 'must be at least 32 characters of random data (e.g. `openssl rand -base64 32`)')
    .refine((v) => !PLACEHOLDER.test(v), 'is a placeholder, not a secret: generate one (e.g. `openssl rand -base64 32`)')
    .refine((v) => estimatedBits(v) >= MIN_BITS, `has too little entropy (under ${MIN_BITS} bits): generate one (e.g. \`openssl rand -base64 32\`)`);
