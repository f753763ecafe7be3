import { createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import type { Principal } from './principal';

const ISSUER = 'falaj';
const AUDIENCE = 'falaj';
const ALGORITHM = 'HS256';
/** Verified tokens remembered at once; past it the memory starts afresh (bounded, never a leak). */
const VERIFIED_CACHE_SIZE = 10_000;

export class InvalidTokenError extends Error {}

/**
 * Signs and verifies Falaj bearer tokens (JWT, HS256 over a shared secret). Every app verifies
 * for itself — the registry does not trust the gateway's check (zero trust between services).
 */
export class TokenService {
  /** Made once: jose would otherwise import the raw secret into a key on every verification. */
  private readonly key: KeyObject;
  /**
   * Tokens already verified, until their expiry: a client sends the same token with every call,
   * and a JWT cannot be revoked before it expires anyway, so checking its HMAC once is enough.
   */
  private readonly verified = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(secret: string) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  async sign(principal: Principal, ttlSeconds: number): Promise<string> {
    return new SignJWT({
      tenant: principal.tenantId,
      scope: principal.scopes.join(' '),
      ...(principal.residency ? { residency: principal.residency } : {}),
    })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(principal.subject)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.key);
  }

  async verify(token: string): Promise<Principal> {
    const known = this.verified.get(token);
    if (known) {
      if (known.expiresAt > Date.now()) return known.principal;
      this.verified.delete(token);
    }
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: [ALGORITHM] });
      if (typeof payload.sub !== 'string' || typeof payload.tenant !== 'string') {
        throw new InvalidTokenError('token lacks its subject or tenant');
      }
      const scope = typeof payload.scope === 'string' ? payload.scope : '';
      const principal: Principal = { subject: payload.sub, tenantId: payload.tenant, scopes: scope.split(' ').filter(Boolean) };
      if (typeof payload.residency === 'string') principal.residency = payload.residency;
      if (typeof payload.exp === 'number') {
        if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.clear();
        this.verified.set(token, { principal: Object.freeze(principal), expiresAt: payload.exp * 1000 });
      }
      return principal;
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof errors.JWTExpired) throw new InvalidTokenError('token has expired');
      if (error instanceof errors.JOSEError) throw new InvalidTokenError(`token is invalid: ${error.code}`);
      throw error;
    }
  }
}
