import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { PayloadBody } from '@falaj/contracts';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** HKDF-SHA256 to a 32-byte key. */
export function deriveKey(secret: string | Buffer, salt: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, salt, info, 32));
}

/** AES-256-GCM of `plain` under `key`, bound to `context` (associated data): base64 of iv | tag | ciphertext. */
export function sealWith(key: Buffer, plain: Buffer, context = ''): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

/** What sealWith made; throws when the key or context differ or the text was altered. */
export function openWith(key: Buffer, sealed: string | Buffer, context = ''): Buffer {
  const bytes = typeof sealed === 'string' ? Buffer.from(sealed, 'base64') : sealed;
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES)).setAAD(Buffer.from(context));
  decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

/**
 * The per-tenant keys of payload logging, derived with HKDF-SHA256 from one platform secret
 * (FALAJ_PAYLOAD_KEY) and the tenant id, so no key is stored anywhere and one tenant's key says
 * nothing about another's: `hmac` keys the `hash` policy's HMACs, `seal` encrypts a `full` record
 * on its way to the registry. Derived once per tenant and held in memory; never logged.
 */
export class PayloadKeys {
  private readonly derived = new Map<string, Buffer>();

  constructor(private readonly secret: string | undefined) {}

  /** Whether a platform secret was given: without one, `hash` and `full` records cannot be made. */
  get available(): boolean {
    return this.secret !== undefined;
  }

  hmacKey(tenantId: string): Buffer {
    return this.derive('hmac', tenantId);
  }

  sealBody(tenantId: string, body: PayloadBody, eventId: string): string {
    return sealWith(this.derive('seal', tenantId), Buffer.from(JSON.stringify(body)), eventId);
  }

  openBody(tenantId: string, sealed: string, eventId: string): unknown {
    return JSON.parse(openWith(this.derive('seal', tenantId), sealed, eventId).toString('utf8'));
  }

  private derive(purpose: 'hmac' | 'seal', tenantId: string): Buffer {
    const id = `${purpose}\u0000${tenantId}`;
    let key = this.derived.get(id);
    if (key === undefined) {
      if (this.secret === undefined) throw new Error('FALAJ_PAYLOAD_KEY is not set');
      key = deriveKey(this.secret, `falaj-payload-v1:${purpose}`, tenantId);
      this.derived.set(id, key);
    }
    return key;
  }

  /** Never shows a key: an accidental log of the object prints this. */
  toJSON(): string {
    return '[PayloadKeys]';
  }
}
