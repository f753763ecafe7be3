import { SignJWT, errors, jwtVerify } from 'jose';
import type { Principal } from './principal';

const ISSUER = 'falaj';
const AUDIENCE = 'falaj';
const ALGORITHM = 'HS256';

export class InvalidTokenError extends Error {}

/**
 * Signs and verifies Falaj bearer tokens (JWT, HS256 over a shared secret). Every app verifies
 * for itself — the registry does not trust the gateway's check (zero trust between services).
 */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
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
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: [ALGORITHM] });
      if (typeof payload.sub !== 'string' || typeof payload.tenant !== 'string') {
        throw new InvalidTokenError('token lacks its subject or tenant');
      }
      const scope = typeof payload.scope === 'string' ? payload.scope : '';
      const principal: Principal = { subject: payload.sub, tenantId: payload.tenant, scopes: scope.split(' ').filter(Boolean) };
      if (typeof payload.residency === 'string') principal.residency = payload.residency;
      return principal;
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof errors.JWTExpired) throw new InvalidTokenError('token has expired');
      if (error instanceof errors.JOSEError) throw new InvalidTokenError(`token is invalid: ${error.code}`);
      throw error;
    }
  }
}
