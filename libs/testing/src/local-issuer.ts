import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type KeyLike } from 'jose';
import { TENANT_SCOPES, type TrustedIssuer } from '@falaj/auth';

interface SigningKey {
  kid: string;
  alg: string;
  privateKey: KeyLike;
  publicJwk: JWK;
}

/**
 * A small OpenID issuer on a loopback port, for tests of the resource server: discovery, a JWKS
 * that can rotate, and tokens with whatever claims, keys and headers a test needs (including the
 * forged ones an attacker would send). It counts the JWKS fetches, so rate limits can be seen.
 */
export class LocalIssuer {
  private server?: Server;

  /** `tls`: serve discovery and the JWKS over HTTPS with this certificate (an enterprise IdP's path). */
  constructor(private readonly options: { tls?: { certFile: string; keyFile: string } } = {}) {}
  private keys: SigningKey[] = [];
  url = '';
  jwksFetches = 0;

  async start(): Promise<void> {
    await this.addKey('ES256');
    const handle = (request: IncomingMessage, response: ServerResponse) => {
      if (request.url === '/.well-known/openid-configuration') {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ issuer: this.url, jwks_uri: `${this.url}/jwks`, token_endpoint: `${this.url}/token` }));
      } else if (request.url === '/jwks') {
        this.jwksFetches++;
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ keys: this.keys.map((k) => k.publicJwk) }));
      } else {
        response.statusCode = 404;
        response.end();
      }
    };
    const { tls } = this.options;
    this.server = tls ? createTlsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, handle) : createServer(handle);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** The configuration under which an app trusts this issuer. */
  trusted(overrides: Partial<TrustedIssuer> = {}): TrustedIssuer {
    return {
      issuer: this.url,
      audiences: ['falaj'],
      algorithms: ['ES256', 'RS256'],
      claims: { subject: 'sub', tenant: 'tenant', scopes: 'scope', residency: 'residency' },
      allowedScopes: [...TENANT_SCOPES],
      tlsTrust: 'system',
      ...overrides,
    };
  }

  /** Publishes a new key (the next tokens are signed with it); returns its kid. */
  async addKey(alg: 'ES256' | 'RS256' = 'ES256', publish = true): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `k${this.keys.length + 1}-${Date.now().toString(36)}`;
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    const key = { kid, alg, privateKey, publicJwk };
    if (publish) this.keys.push(key);
    else this.unpublished = key;
    return kid;
  }

  /** A key the JWKS does not list (a token signed with it must be refused). */
  private unpublished?: SigningKey;

  get publicJwk(): JWK {
    return this.keys.at(-1)!.publicJwk;
  }

  /**
   * A signed token: `iss`, `aud` 'falaj', `iat` now and `exp` in 5 min unless the claims say
   * otherwise; `key: 'unpublished'` signs with a key the JWKS does not list.
   */
  async sign(claims: Record<string, unknown>, options: { key?: 'current' | 'unpublished'; kid?: string } = {}): Promise<string> {
    const key = options.key === 'unpublished' ? (this.unpublished ?? (await this.addKey('ES256', false), this.unpublished!)) : this.keys.at(-1)!;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: this.url, aud: 'falaj', iat: now, exp: now + 300, ...claims }).setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid, typ: 'at+jwt' }).sign(key.privateKey);
  }
}
