/** An app's own OAuth2 client (RFC 6749 §4.4): how it proves who it is to another app. */
export interface ClientCredentials {
  /** The issuer's token endpoint. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Scopes to ask for (space-separated on the wire); unset: all the client holds. */
  scope?: string;
}

/** A token is renewed this long before it expires, so a call never carries one about to lapse. */
const RENEW_BEFORE_MS = 60_000;

/**
 * Fetches and caches the app's access token by the client-credentials grant, renewing it before
 * it expires; concurrent callers share one request. The token is held in memory only.
 */
export class ClientCredentialsTokenSource {
  private token?: { value: string; renewAt: number };
  private fetching?: Promise<string>;

  constructor(private readonly credentials: ClientCredentials) {}

  async get(): Promise<string> {
    if (this.token && Date.now() < this.token.renewAt) return this.token.value;
    this.fetching ??= this.fetchToken().finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  /** Forgets the token (the peer refused it: the client may have been rotated). */
  invalidate(): void {
    this.token = undefined;
  }

  private async fetchToken(): Promise<string> {
    const { tokenUrl, clientId, clientSecret, scope } = this.credentials;
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    const response = await fetch(tokenUrl, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown };
    if (!response.ok || typeof body.access_token !== 'string') {
      throw new Error(`token request for client ${clientId} failed: HTTP ${response.status} ${typeof body.error === 'string' ? body.error : ''}`.trim());
    }
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 300) * 1000;
    this.token = { value: body.access_token, renewAt: Date.now() + Math.max(lifetimeMs - RENEW_BEFORE_MS, lifetimeMs / 2) };
    return body.access_token;
  }
}
