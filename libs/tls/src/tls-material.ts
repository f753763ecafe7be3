import { createHash } from 'node:crypto';

/** A certificate chain, its private key and the trusted CA bundle, read from the files, in PEM. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
  /** sha256 over all three: tells a changed file from a touched one. */
  fingerprint: string;
}

export function tlsMaterial(cert: Buffer, key: Buffer, ca: Buffer): TlsMaterial {
  const fingerprint = createHash('sha256').update(cert).update('\0').update(key).update('\0').update(ca).digest('hex');
  return { cert, key, ca, fingerprint };
}
