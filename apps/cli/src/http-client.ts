import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { Agent, request, type Dispatcher } from 'undici';
import { CliError } from './cli-error';
import { EXIT } from './exit-codes';
import { writeCredential, type StoredCredential } from './config-store';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface SendOptions {
  /** Sent as JSON. */
  json?: unknown;
  /** A raw body; a function so that a retry after a refreshed token can send it again. */
  body?: () => Buffer | Readable;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  /** What the call does, for the error line ("upload version"). */
  what: string;
}

/** The system's CAs plus the given one: a development CA works, and so does a gateway with a public certificate. */
export function dispatcherFor(caFile: string | undefined): Dispatcher | undefined {
  if (!caFile) return undefined;
  let ca: string;
  try {
    ca = readFileSync(caFile, 'utf8');
  } catch (error) {
    throw CliError.usage(`cannot read the CA file ${caFile} (${(error as NodeJS.ErrnoException).code})`, 'give a PEM file with --cacert FILE or FALAJ_CA_FILE');
  }
  return new Agent({ connect: { ca: [...rootCertificates, ca] } });
}

export function errorMessageOf(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { error?: unknown; error_description?: unknown; message?: unknown };
    if (typeof parsed.error_description === 'string') return `${String(parsed.error)}: ${parsed.error_description}`;
    if (typeof parsed.error === 'string') return parsed.error;
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: the text itself, cut short
  }
  return text.slice(0, 500) || '(no message)';
}

const header = (headers: Answer['headers'], name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** One call to the issuer's token endpoint (client credentials, HTTP Basic as RFC 6749 §2.3.1 spells it). */
export async function fetchToken(
  tokenEndpoint: string,
  clientId: string,
  clientSecret: string,
  scope: string | undefined,
  dispatcher: Dispatcher | undefined,
): Promise<{ accessToken: string; expiresAt: number; scope?: string }> {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
  let answer: Answer;
  try {
    const response = await request(tokenEndpoint, {
      method: 'POST',
      dispatcher,
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }).toString(),
    });
    answer = { status: response.statusCode, headers: response.headers, body: Buffer.from(await response.body.arrayBuffer()) };
  } catch (error) {
    throw CliError.fromNetwork(error, tokenEndpoint);
  }
  if (answer.status === 400 || answer.status === 401) {
    throw new CliError(
      `the issuer refused the client '${clientId}': ${errorMessageOf(answer.body)}`,
      EXIT.auth,
      'check --client-id and the secret (FALAJ_CLIENT_SECRET, --client-secret-file or --client-secret-stdin), and the scopes asked for',
    );
  }
  if (answer.status !== 200) throw CliError.fromResponse(answer.status, errorMessageOf(answer.body), 'token request');
  const body = JSON.parse(answer.body.toString('utf8')) as { access_token?: string; expires_in?: number; scope?: string };
  if (!body.access_token) throw new CliError('the issuer answered without an access token', EXIT.unavailable);
  return { accessToken: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 300) * 1000, scope: body.scope };
}

/**
 * The CLI's one HTTP client: the gateway's address, the CA, the bearer token and its refresh
 * (fetched again 30 s before it lapses, and once more if the gateway refuses it with 401).
 */
export class FalajClient {
  private readonly dispatcher: Dispatcher | undefined;

  constructor(
    private readonly gateway: string,
    private readonly credential: StoredCredential | undefined,
    private readonly configDir: string,
    caFile: string | undefined,
  ) {
    this.dispatcher = dispatcherFor(caFile);
  }

  get gatewayUrl(): string {
    return this.gateway;
  }

  private async token(force: boolean): Promise<string> {
    const c = this.credential;
    if (!c) throw new CliError('not signed in', EXIT.auth, 'run `falaj login --gateway URL --issuer URL --client-id ID` first (FALAJ_CONFIG_DIR picks another credential file)');
    if (!force && c.accessToken && (c.expiresAt ?? 0) - 30_000 > Date.now()) return c.accessToken;
    const fresh = await fetchToken(c.tokenEndpoint, c.clientId, c.clientSecret, c.scope, this.dispatcher);
    c.accessToken = fresh.accessToken;
    c.expiresAt = fresh.expiresAt;
    writeCredential(this.configDir, c);
    return fresh.accessToken;
  }

  private url(path: string, query: SendOptions['query']): string {
    const url = new URL(path, this.gateway);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return url.toString();
  }

  /** The raw response, whatever its status; the body still unread (for streams). */
  async open(method: Dispatcher.HttpMethod, path: string, options: SendOptions): Promise<Dispatcher.ResponseData> {
    const url = this.url(path, options.query);
    for (let attempt = 0; ; attempt++) {
      const token = await this.token(attempt > 0);
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json', ...options.headers };
      let body: string | Buffer | Readable | undefined;
      if (options.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(options.json);
      } else if (options.body) body = options.body();
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url, { method, headers, body, dispatcher: this.dispatcher });
      } catch (error) {
        throw CliError.fromNetwork(error, url);
      }
      // A token revoked or rotated away since it was stored: one more try with a fresh one.
      if (response.statusCode === 401 && attempt === 0) {
        await response.body.dump();
        continue;
      }
      return response;
    }
  }

  /** The whole answer; a non-2xx status is thrown as a CliError with the server's message and the fix. */
  async send(method: Dispatcher.HttpMethod, path: string, options: SendOptions): Promise<Answer> {
    const response = await this.open(method, path, options);
    const answer: Answer = { status: response.statusCode, headers: response.headers, body: Buffer.from(await response.body.arrayBuffer()) };
    if (answer.status >= 400) throw this.refusal(answer, options.what);
    return answer;
  }

  async json<T>(method: Dispatcher.HttpMethod, path: string, options: SendOptions): Promise<T> {
    const answer = await this.send(method, path, options);
    const text = answer.body.toString('utf8');
    return (text ? JSON.parse(text) : {}) as T;
  }

  refusal(answer: Answer, what: string): CliError {
    const requestId = header(answer.headers, 'x-request-id');
    const message = errorMessageOf(answer.body) + (requestId && answer.status >= 500 ? ` (request id ${requestId})` : '');
    return CliError.fromResponse(answer.status, message, what, header(answer.headers, 'retry-after'));
  }
}

export const seg = (value: string | number): string => encodeURIComponent(String(value));
