import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * Detached artifact signatures (issue 19, item 3): the pure rules both the registry (at upload)
 * and every worker (before a session is made) apply, so the two can never disagree. Only node:crypto.
 */

/** The algorithms a tenant's trusted key may use; told apart by the key itself, never by the caller. */
export const SIGNATURE_ALGORITHMS = ['ed25519', 'ecdsa-p256-sha256'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

/** A public key parsed and named: its algorithm, its SPKI DER (base64) and its id (fingerprint). */
export interface TrustedPublicKey {
  keyId: string;
  algorithm: SignatureAlgorithm;
  /** SubjectPublicKeyInfo, DER, base64: the form that travels to workers. */
  spki: string;
}

export class SignatureKeyError extends Error {}

/** The key's algorithm, or a SignatureKeyError naming what it is instead. */
export function keyAlgorithm(key: KeyObject): SignatureAlgorithm {
  if (key.type !== 'public') throw new SignatureKeyError(`expected a public key, got a ${key.type} key`);
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256-sha256';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  throw new SignatureKeyError(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'}${curve ? ` (${curve})` : ''}: use Ed25519 or ECDSA P-256`);
}

/** A PEM public key as the admin API takes it: parsed, its algorithm found, its id the first 16 hex of its SPKI's sha256. */
export function parseTrustedKey(pem: string): TrustedPublicKey {
  // createPublicKey would derive the public half of a private key: one pasted by mistake is refused, not kept.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new SignatureKeyError('expected a public key, got a private key: send only the public half (openssl pkey -pubout)');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new SignatureKeyError(`not a PEM public key (${(error as Error).message})`);
  }
  const algorithm = keyAlgorithm(key);
  const der = key.export({ type: 'spki', format: 'der' });
  return { keyId: createHash('sha256').update(der).digest('hex').slice(0, 16), algorithm, spki: der.toString('base64') };
}

/**
 * Whether `signature` (base64; Ed25519: 64 raw bytes; ECDSA: DER, as `openssl dgst -sha256 -sign`
 * writes it) is `key`'s over exactly `artifact`. A key whose algorithm is not the one recorded
 * never verifies: a recorded algorithm cannot be swapped under a signature.
 */
export function verifyArtifactSignature(artifact: Uint8Array, signature: string, key: Pick<TrustedPublicKey, 'algorithm' | 'spki'>): boolean {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(key.spki, 'base64'), format: 'der', type: 'spki' });
    if (keyAlgorithm(publicKey) !== key.algorithm) return false;
  } catch {
    return false;
  }
  const bytes = Buffer.from(signature, 'base64');
  if (bytes.length === 0) return false;
  try {
    return key.algorithm === 'ed25519' ? verify(null, artifact, publicKey, bytes) : verify('sha256', artifact, { key: publicKey, dsaEncoding: 'der' }, bytes);
  } catch {
    // A malformed DER signature throws rather than answering false.
    return false;
  }
}

/** `x-falaj-signature: <keyId>:<base64 signature>` (and the multipart field `signature`), parsed; null when malformed. */
export function parseSignatureHeader(value: string): { keyId: string; signature: string } | null {
  const match = /^([0-9a-f]{16}):([A-Za-z0-9+/]+={0,2})$/.exec(value.trim());
  return match ? { keyId: match[1], signature: match[2] } : null;
}
