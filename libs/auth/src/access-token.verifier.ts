import { decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import { InvalidTokenError } from './invalid-token.error';
import { IssuerKeys, type IssuerKeysOptions } from './issuer-keys';
import type { Principal } from './principal';
import { principalOf, type TrustedIssuer } from './trusted-issuer';

/** What a revocation list needs of a verified token. */
export interface TokenFacts {
  iss: string;
  sub: string;
  iat: number;
  jti?: string;
}

/** Says whether a verified token was revoked since it was issued (the built-in issuer's list). */
export interface RevocationCheck {
  isRevoked(token: TokenFacts): boolean;
}

export interface AccessTokenVerifierOptions {
  /** Skew allowed on `exp`, `nbf` and `iat`, in seconds. */
  clockToleranceSeconds: number;
  /** Longest `exp - iat` accepted: a token meant to live a year is refused whatever signed it. */
  maxLifetimeSeconds: number;
  keys?: Partial<IssuerKeysOptions>;
  revocations?: RevocationCheck;
}

/** Verified tokens remembered at once; past it the memory starts afresh (bounded, never a leak). */
const VERIFIED_CACHE_SIZE = 10_000;

interface Verified {
  principal: Principal;
  facts: TokenFacts;
  expiresAt: number;
}

/**
 * The resource server's check of a bearer access token (RFC 6750, RFC 9068): signed with an
 * asymmetric algorithm by a key of a trusted issuer, `iss`, `aud`, `exp`, `nbf` and `iat` checked
 * with a bounded skew, a bounded lifetime, not revoked, then its claims mapped to a principal by
 * the issuer's rules. A token's signature is checked once; later uses of the same token cost a
 * map lookup and the revocation check, which runs on every use.
 */
export class AccessTokenVerifier {
  private readonly issuers = new Map<string, { config: TrustedIssuer; keys: IssuerKeys }>();
  private readonly verified = new Map<string, Verified>();

  constructor(
    issuers: readonly TrustedIssuer[],
    private readonly options: AccessTokenVerifierOptions,
  ) {
    for (const config of issuers) this.issuers.set(config.issuer, { config, keys: new IssuerKeys(config, options.keys) });
  }

  async verify(token: string): Promise<Principal> {
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) {
      this.refuseRevoked(known.facts);
      return known.principal;
    }
    if (known) this.verified.delete(token);

    const issuer = this.issuers.get(this.unverifiedIssuer(token));
    if (!issuer) throw new InvalidTokenError('token is from an issuer that is not trusted here');
    const { config, keys } = issuer;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header, input) => keys.getKey(header, input), {
        issuer: config.issuer,
        audience: config.audiences,
        algorithms: config.algorithms,
        clockTolerance: this.options.clockToleranceSeconds,
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch (error) {
      throw asInvalidToken(error);
    }
    const facts = this.checkTimes(payload);
    this.refuseRevoked(facts);
    const principal = Object.freeze(principalOf(config, payload as Record<string, unknown>));
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.clear();
    this.verified.set(token, { principal, facts, expiresAt: payload.exp! * 1000 });
    return principal;
  }

  /** `iss` read before verification, only to pick the issuer whose keys and rules apply. */
  private unverifiedIssuer(token: string): string {
    try {
      const { iss } = decodeJwt(token);
      if (typeof iss !== 'string') throw new InvalidTokenError('token names no issuer');
      return iss;
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      throw new InvalidTokenError('token is malformed');
    }
  }

  private checkTimes(payload: JWTPayload): TokenFacts {
    const { exp, iat, iss, sub, jti } = payload as Required<Pick<JWTPayload, 'exp' | 'iat' | 'iss' | 'sub'>> & JWTPayload;
    const now = Date.now() / 1000;
    if (iat > now + this.options.clockToleranceSeconds) throw new InvalidTokenError('token is issued in the future');
    if (exp - iat > this.options.maxLifetimeSeconds) {
      throw new InvalidTokenError(`token lives longer than the ${this.options.maxLifetimeSeconds} s allowed`);
    }
    return { iss, sub, iat, ...(typeof jti === 'string' ? { jti } : {}) };
  }

  private refuseRevoked(facts: TokenFacts): void {
    if (this.options.revocations?.isRevoked(facts)) throw new InvalidTokenError('token has been revoked');
  }
}

function asInvalidToken(error: unknown): Error {
  if (error instanceof InvalidTokenError) return error;
  if (error instanceof errors.JWTExpired) return new InvalidTokenError('token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) return new InvalidTokenError(`token is invalid: ${error.claim} ${error.reason}`);
  if (error instanceof errors.JOSEAlgNotAllowed) return new InvalidTokenError('token is signed with an algorithm that is not allowed');
  if (error instanceof errors.JWKSNoMatchingKey) return new InvalidTokenError('token is signed by a key its issuer does not publish');
  if (error instanceof errors.JWSSignatureVerificationFailed) return new InvalidTokenError('token signature is invalid');
  if (error instanceof errors.JOSEError) return new InvalidTokenError(`token is invalid: ${error.code}`);
  // Anything else (the key set unreachable mid-fetch): the token is not verified, so it fails closed.
  return new InvalidTokenError(`token cannot be verified now: ${(error as Error)?.message ?? String(error)}`);
}
