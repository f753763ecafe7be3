import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts the issuer's private keys at rest: AES-256-GCM under a key derived (HKDF-SHA256) from
 * the operator's FALAJ_KEY_ENCRYPTION_KEY, each ciphertext bound to its kid as associated data,
 * so a row's key cannot be swapped into another row. A database dump alone signs nothing.
 */
export class KeyEncryption {
  private readonly key: Buffer;

  constructor(keyEncryptionKey: string) {
    this.key = Buffer.from(hkdfSync('sha256', keyEncryptionKey, 'falaj-signing-keys', 'aes-256-gcm v1', 32));
  }

  encrypt(plaintext: Buffer, kid: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(kid));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
  }

  /** Throws when the key is not the one it was encrypted with, or the row was altered. */
  decrypt(encoded: string, kid: string): Buffer {
    const raw = Buffer.from(encoded, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES)).setAAD(Buffer.from(kid));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  }
}
