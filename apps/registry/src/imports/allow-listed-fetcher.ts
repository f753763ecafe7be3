import { PassThrough, type Readable } from 'node:stream';
import { errors, request, type Dispatcher } from 'undici';
import { MAX_IMPORT_REDIRECTS, redirectTarget } from './import-origin.policy';
import { ImportsError } from './imports.exception';

/** A body fetched from an allow-listed origin; `length` is the Content-Length when given. */
export interface FetchedFile {
  url: URL;
  body: Readable;
  length: number | null;
}

/**
 * GETs files from the platform's allow-listed origins only: each redirect (at most
 * MAX_IMPORT_REDIRECTS) is followed by hand, its target checked against the allow-list first, so
 * no request ever leaves it. The caller's `signal` bounds the whole import, bodies included.
 */
export class AllowListedFetcher {
  constructor(
    private readonly allowed: readonly string[],
    /** External stores are verified against the system's CAs (`systemTrustDispatcher`), not the platform's. */
    private readonly dispatcher: Dispatcher,
  ) {}

  /** The file at `url`; null when the store answers one of `absent` (404); 502 for any other non-2xx answer. */
  async get(url: URL, signal: AbortSignal, absent: readonly number[] = [404]): Promise<FetchedFile | null> {
    let current = url;
    for (let redirects = 0; ; redirects++) {
      const answer = await request(current, { method: 'GET', dispatcher: this.dispatcher, signal, headers: { accept: '*/*' } }).catch((error: unknown) => {
        throw fetchError(current, error, signal);
      });
      const { statusCode, headers, body } = answer;
      if (statusCode >= 300 && statusCode < 400 && statusCode !== 304) {
        await body.dump().catch(() => undefined);
        if (redirects === MAX_IMPORT_REDIRECTS) throw ImportsError.upstream(502, `${url.href} redirected more than ${MAX_IMPORT_REDIRECTS} times`);
        const location = headers.location;
        current = redirectTarget(current, Array.isArray(location) ? location[0] : location, this.allowed);
        continue;
      }
      if (absent.includes(statusCode)) {
        await body.dump().catch(() => undefined);
        return null;
      }
      if (statusCode < 200 || statusCode >= 300) {
        await body.dump().catch(() => undefined);
        throw ImportsError.upstream(502, `the store answered ${statusCode} for ${current.href}`);
      }
      const length = Number(headers['content-length']);
      // The signal's abort reaches the body too: named as the timeout rather than a bare abort.
      return { url: current, body: guarded(body, current, signal), length: Number.isSafeInteger(length) ? length : null };
    }
  }

  /** A small text file (MLmodel, metrics.json) read whole within `maxBytes`; null when absent (as `get`). */
  async text(url: URL, maxBytes: number, signal: AbortSignal, tooLarge: () => Error, absent: readonly number[] = [404]): Promise<string | null> {
    const file = await this.get(url, signal, absent);
    if (!file) return null;
    try {
      if (file.length !== null && file.length > maxBytes) throw tooLarge();
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of file.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) throw tooLarge();
        chunks.push(chunk);
      }
      return Buffer.concat(chunks).toString('utf8');
    } finally {
      file.body.destroy();
    }
  }
}

/** The body, its errors turned into the import's own (504 on the import's timeout, 502 otherwise); closing it closes the body. */
function guarded(body: Readable, url: URL, signal: AbortSignal): Readable {
  const out = new PassThrough();
  body.on('error', (error) => out.destroy(fetchError(url, error, signal)));
  out.on('close', () => body.destroy());
  body.pipe(out);
  return out;
}

function fetchError(url: URL, error: unknown, signal: AbortSignal): Error {
  if (error instanceof ImportsError) return error;
  if (signal.aborted) return ImportsError.upstream(504, `fetching ${url.href} did not finish within the import's time limit (FALAJ_IMPORT_TIMEOUT_MS)`);
  const code = error instanceof errors.UndiciError ? error.code : ((error as { code?: string }).code ?? (error as Error).message);
  return ImportsError.upstream(502, `could not fetch ${url.href} (${code})`);
}
