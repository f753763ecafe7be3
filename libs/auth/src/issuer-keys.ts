import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { platformHttpsAgent, systemTrustDispatcher } from '@falaj/tls';
import { InvalidTokenError } from './invalid-token.error';
import type { TrustedIssuer } from './trusted-issuer';

export interface IssuerKeysOptions {
  /** An unknown `kid` refetches the key set at most this often (jose's cooldown): a flood of forged kids costs one fetch. */
  refetchCooldownMs: number;
  /** A key set is refetched at least this often, so a retired key drops out. */
  maxAgeMs: number;
  /** After a failed discovery, the next try waits this long (tokens are refused meanwhile). */
  retryMs: number;
  timeoutMs: number;
}

const DEFAULTS: IssuerKeysOptions = { refetchCooldownMs: 10_000, maxAgeMs: 10 * 60_000, retryMs: 2_000, timeoutMs: 5_000 };

/**
 * The signing keys of one issuer: its `jwks_uri` found by OIDC discovery (the document's
 * `issuer` must be the issuer exactly, OIDC Discovery §4.3), then jose's remote key set, which
 * caches the keys, refetches on an unknown `kid` (rate-limited) and matches each key's `alg`.
 * Discovery runs on first use, so an app starts before its issuer does.
 */
export class IssuerKeys {
  private keySet?: JWTVerifyGetKey;
  private discovering?: Promise<JWTVerifyGetKey>;
  private failedUntil = 0;
  private readonly options: IssuerKeysOptions;

  constructor(
    private readonly issuer: TrustedIssuer,
    options: Partial<IssuerKeysOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  async getKey(...args: Parameters<JWTVerifyGetKey>): Promise<Awaited<ReturnType<JWTVerifyGetKey>>> {
    const keySet = this.keySet ?? (await this.discover());
    return keySet(...args);
  }

  private discover(): Promise<JWTVerifyGetKey> {
    if (Date.now() < this.failedUntil) return Promise.reject(new InvalidTokenError(`issuer ${this.issuer.issuer} is unreachable; its tokens cannot be verified now`));
    this.discovering ??= this.jwksUri()
      .then((uri) => {
        this.keySet = createRemoteJWKSet(new URL(uri), {
          cooldownDuration: this.options.refetchCooldownMs,
          cacheMaxAge: this.options.maxAgeMs,
          timeoutDuration: this.options.timeoutMs,
          // jose fetches with node's https module, not fetch: hand it the platform's trust.
          ...(this.issuer.tlsTrust === 'platform' && platformHttpsAgent() ? { agent: platformHttpsAgent() } : {}),
        });
        return this.keySet;
      })
      .catch((error: Error) => {
        this.failedUntil = Date.now() + this.options.retryMs;
        if (error instanceof InvalidTokenError) throw error;
        // fetch says only "fetch failed": the cause says why (a refused connection, a certificate no trusted CA signed).
        const cause = (error as { cause?: { message?: unknown } }).cause?.message;
        throw new InvalidTokenError(`issuer ${this.issuer.issuer} is unreachable: ${error.message}${typeof cause === 'string' ? ` (${cause})` : ''}`);
      })
      .finally(() => (this.discovering = undefined));
    return this.discovering;
  }

  private async jwksUri(): Promise<string> {
    if (this.issuer.jwksUri) return this.issuer.jwksUri;
    const url = `${this.issuer.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    // fetch goes through the platform's trust (undici's global dispatcher) unless the issuer is outside it.
    const dispatcher = this.issuer.tlsTrust === 'system' ? { dispatcher: systemTrustDispatcher } : {};
    const response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs), redirect: 'error', ...(dispatcher as object) });
    if (!response.ok) throw new InvalidTokenError(`issuer ${this.issuer.issuer}: discovery answered HTTP ${response.status}`);
    const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (document.issuer !== this.issuer.issuer) throw new InvalidTokenError(`issuer ${this.issuer.issuer}: discovery names another issuer`);
    if (typeof document.jwks_uri !== 'string' || !/^https?:\/\//.test(document.jwks_uri)) throw new InvalidTokenError(`issuer ${this.issuer.issuer}: discovery has no jwks_uri`);
    return document.jwks_uri;
  }
}
