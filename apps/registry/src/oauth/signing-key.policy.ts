/** What the policy needs of a key. */
export interface KeyTimes {
  kid: string;
  activatesAt: Date;
}

/**
 * Which key signs now: the newest already active. A rotated-in key is published first and
 * signs only from its activation, once every verifier has had the chance to fetch it.
 */
export function signingKeyOf<K extends KeyTimes>(keys: readonly K[], now: number): K | undefined {
  return [...keys].filter((k) => k.activatesAt.getTime() <= now).sort((a, b) => b.activatesAt.getTime() - a.activatesAt.getTime())[0];
}

/**
 * Which keys JWKS lists: every key not yet active (the next one), the signing key, and each key
 * whose successor became active less than `overlapMs` ago (tokens it signed are still alive).
 */
export function publishedKeysOf<K extends KeyTimes>(keys: readonly K[], now: number, overlapMs: number): K[] {
  const sorted = [...keys].sort((a, b) => a.activatesAt.getTime() - b.activatesAt.getTime());
  return sorted.filter((key, i) => {
    const successor = sorted.slice(i + 1).find((k) => k.activatesAt.getTime() <= now);
    return !successor || successor.activatesAt.getTime() > now - overlapMs;
  });
}

/** Whether the newest key is older than the rotation period: time to rotate. */
export function rotationDue(keys: readonly KeyTimes[], now: number, rotateAfterMs: number): boolean {
  const newest = Math.max(...keys.map((k) => k.activatesAt.getTime()));
  return keys.length === 0 || now - newest >= rotateAfterMs;
}
