import { createHash } from 'node:crypto';

/**
 * The rules of `Idempotency-Key` (IETF draft-ietf-httpapi-idempotency-key-header, Stripe's
 * practice), decided here without Redis:
 * - a key is 1–255 visible ASCII characters, scoped to the caller's tenant;
 * - a retry with the same key and the same request gets the first answer back, without the model
 *   running again; with another request (another body, model, version or protocol) it is a 422;
 * - a retry while the first call still runs is a 409 with `Retry-After: 1`, not a wait: the client
 *   already waits on the first call, and a 409 cannot hold a gateway slot for as long as it runs;
 * - only a final answer is kept: a 200 and the 4xx that a retry would get again. What a retry may
 *   change (408, 409, 425, 429, every 5xx: busy, not ready, timed out) frees the key, so the retry
 *   runs; after a 504 the model may have run once already, and then runs again.
 */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Set on an answer that is a kept first answer, not a new run (as Stripe's `Idempotent-Replayed`). */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

const KEY = /^[\x21-\x7e]{1,255}$/;

/** Why a key is refused (a 400), or undefined for a good one. */
export function idempotencyKeyProblem(key: string): string | undefined {
  return KEY.test(key) ? undefined : 'Idempotency-Key must be 1 to 255 visible ASCII characters';
}

export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/**
 * What makes two calls "the same request": the protocol, the model, the version asked for and the
 * body's bytes (and the binary extension's header length, which splits those bytes).
 */
export function requestFingerprint(parts: readonly (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part) : part;
    // Length-prefixed, so ["ab", "c"] and ["a", "bc"] differ.
    hash.update(`${bytes.length}:`).update(bytes);
  }
  return hash.digest('hex');
}

/** Whether an answer of this status is final (kept for retries) or one a retry may change (key freed). */
export function isFinal(status: number): boolean {
  if (status >= 200 && status < 300) return true;
  return status >= 400 && status < 500 && ![408, 409, 425, 429].includes(status);
}

/** A kept answer: the status, the protocol's headers and its body (sealed, then base64, in Redis: IdempotencyService). */
export interface KeptAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** What Redis holds under a key: a call still running, or its first final answer. */
export type IdempotencyRecord =
  | { state: 'running'; fingerprint: string }
  | { state: 'done'; fingerprint: string; status: number; headers: Record<string, string>; body: string }
  | { state: 'too-large'; fingerprint: string; status: number };

/** What to do with a call whose key is already held. */
export type Verdict = { kind: 'replay'; answer: KeptAnswer } | { kind: 'refuse'; status: 409 | 422; message: string; retryAfterSeconds?: number };

export function verdictOn(record: IdempotencyRecord, fingerprint: string, maxBytes: number): Verdict {
  if (record.fingerprint !== fingerprint) {
    return { kind: 'refuse', status: 422, message: 'this Idempotency-Key was first used with another request (another body, model, version or protocol); use a new key for a new request' };
  }
  if (record.state === 'running') {
    return { kind: 'refuse', status: 409, message: 'the first call with this Idempotency-Key is still running; retry in a moment', retryAfterSeconds: 1 };
  }
  if (record.state === 'too-large') {
    return {
      kind: 'refuse',
      status: 409,
      message: `the first call with this Idempotency-Key was answered (status ${record.status}), but its answer was over FALAJ_IDEMPOTENCY_MAX_ANSWER_BYTES (${maxBytes}) and was not kept; use a new key to run the model again`,
    };
  }
  return { kind: 'replay', answer: { status: record.status, headers: record.headers, body: Buffer.from(record.body, 'base64') } };
}
