import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Readable } from 'node:stream';
import { DomainError, errorCodeOf, idempotencyRecordKey } from '@falaj/contracts';
import { createRedis } from '@falaj/messaging';
import { deriveKey, openWith, sealWith, statusOf } from '@falaj/dispatch';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { BodyDigest, drainDigest } from './body-digest';
import { hashKey, idempotencyKeyProblem, isFinal, requestFingerprint, verdictOn, type IdempotencyRecord, type KeptAnswer } from './idempotency.policy';

/** The fingerprint of a streamed first call while its body still passes (no request has it). */
const STREAMING = 'streaming';

/** One call that carries an `Idempotency-Key`. */
export interface IdempotentCall {
  tenantId: string;
  key: string;
  /** requestFingerprint() of what makes the call the same request. */
  fingerprint: string;
}

/**
 * One proxied `POST` that carries an `Idempotency-Key`: what is known before its body streams on
 * (method, path and query, content type); the body's digest joins it as the bytes pass.
 */
export interface StreamedCall {
  tenantId: string;
  key: string;
  head: readonly string[];
}

/** What a IdempotencyError says went wrong: its `code`, in every protocol's error answer. */
export const IDEMPOTENCY_ERROR_CODES = ['bad_request', 'idempotency'] as const;
export type IdempotencyErrorCode = (typeof IDEMPOTENCY_ERROR_CODES)[number];

/** A refusal of a kept answer or of a held key, in the shape every protocol maps. */
export class IdempotencyError extends DomainError<IdempotencyErrorCode> {}

/**
 * A kept refusal answered again, as the first call was: its status, message and code (any
 * capability's, hence the base's string), `replayed` for an answer kept without one.
 */
export function replayedRefusal(answer: Pick<KeptAnswer, 'status' | 'body'>): DomainError {
  const { error, code } = JSON.parse(answer.body.toString('utf8')) as { error: string; code?: unknown };
  return new DomainError(answer.status, error, typeof code === 'string' ? code : 'replayed');
}

/**
 * Keeps the first final answer of each tenant's `Idempotency-Key` in Redis for
 * FALAJ_IDEMPOTENCY_TTL_SECONDS, so that a retry gets it back without the model running again
 * (the rules: idempotency.policy.ts). Redis is shared by every gateway: a retry that lands on
 * another gateway finds the same answer. The record is claimed with SET NX before the call runs,
 * so two concurrent calls with one key never both run.
 *
 * A kept body is sealed (AES-256-GCM) under a key derived from FALAJ_PAYLOAD_KEY, the tenant and
 * the client's own Idempotency-Key, which Redis never holds (only its SHA-256 names the record):
 * the answer's tensors, personal data included, are not readable in Redis by anyone without the
 * retry itself, whatever the tenant's payload policy.
 */
@Injectable()
export class IdempotencyService implements OnApplicationShutdown {
  private readonly redis: Redis;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.redis = createRedis(config.redis, `${config.gatewayId}:idempotency`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }

  /**
   * Runs `answer` once per key: the first call runs it and keeps a final answer (a thrown error
   * with a final status is kept as that status and message); a retry gets the kept answer, marked
   * replayed by the caller. Without a key it just runs.
   */
  async once(call: IdempotentCall | undefined, answer: () => Promise<KeptAnswer>): Promise<KeptAnswer & { replayed: boolean }> {
    if (!call) return { ...(await answer()), replayed: false };
    const held = await this.claim(call, call.fingerprint);
    if (held === 'claimed') return { ...(await this.runClaimed(call, answer, () => call.fingerprint)), replayed: false };
    return this.decide(call, held, call.fingerprint);
  }

  /**
   * As once(), for a body that streams on to its handler (a model upload, a job's input): the
   * first call's body is hashed as it passes, and its fingerprint (head + body digest) is kept with
   * its answer; a retry's body is read here, never sent on, and compared. A first call whose body
   * was not read to its end (the registry refused early) keeps nothing: its retry runs again.
   */
  async onceStreamed(call: StreamedCall | undefined, body: Readable, answer: (body: Readable) => Promise<KeptAnswer>): Promise<KeptAnswer & { replayed: boolean }> {
    if (!call) return { ...(await answer(body)), replayed: false };
    const held = await this.claim(call, STREAMING);
    if (held === 'claimed') {
      const digest = new BodyDigest();
      const result = await this.runClaimed(
        call,
        () => answer(body.pipe(digest)),
        () => {
          const bytes = digest.complete();
          return bytes === undefined ? undefined : requestFingerprint([...call.head, bytes]);
        },
      );
      return { ...result, replayed: false };
    }
    const fingerprint = requestFingerprint([...call.head, await drainDigest(body)]);
    // The first call's fingerprint is not known while it runs: a retry then is told to wait.
    return this.decide(call, held.state === 'running' ? { ...held, fingerprint } : held, fingerprint);
  }

  private recordKey(call: { tenantId: string; key: string }): string {
    return idempotencyRecordKey(this.config.prefix, call.tenantId, hashKey(call.key));
  }

  /** Claims the key for this call (SET NX), or gives the record that holds it. */
  private async claim(call: { tenantId: string; key: string }, fingerprint: string): Promise<'claimed' | IdempotencyRecord> {
    const problem = idempotencyKeyProblem(call.key);
    if (problem) throw new IdempotencyError(400, problem, 'bad_request');
    const key = this.recordKey(call);
    const running: IdempotencyRecord = { state: 'running', fingerprint };
    // Two tries: a record that expires between the SET NX and the GET is claimed on the second.
    for (let attempt = 0; attempt < 2; attempt++) {
      if ((await this.redis.set(key, JSON.stringify(running), 'EX', this.config.idempotency.ttlSeconds, 'NX')) === 'OK') return 'claimed';
      const held = await this.redis.get(key);
      if (held !== null) return JSON.parse(held) as IdempotencyRecord;
    }
    throw new IdempotencyError(409, 'this Idempotency-Key is changing hands; retry in a moment', 'idempotency', { retryAfterSeconds: 1 });
  }

  /** A held key's answer: the kept one replayed, or the refusal the policy gives. */
  private decide(call: { tenantId: string; key: string }, record: IdempotencyRecord, fingerprint: string): KeptAnswer & { replayed: boolean } {
    const key = this.recordKey(call);
    const verdict = verdictOn(record, fingerprint, this.config.idempotency.maxAnswerBytes);
    if (verdict.kind === 'replay') return { ...verdict.answer, body: this.opened(call, verdict.answer.body, key), replayed: true };
    throw new IdempotencyError(verdict.status, verdict.message, 'idempotency', verdict.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: verdict.retryAfterSeconds });
  }

  /** Runs a claimed call and keeps its final answer under `fingerprint()`; undefined there frees the key. */
  private async runClaimed(call: { tenantId: string; key: string }, answer: () => Promise<KeptAnswer>, fingerprintOf: () => string | undefined): Promise<KeptAnswer> {
    const key = this.recordKey(call);
    const { ttlSeconds, maxAnswerBytes } = this.config.idempotency;
    const seal = (body: Buffer): string => sealWith(this.answerKey(call), body, key);
    let result: KeptAnswer;
    try {
      result = await answer();
    } catch (error) {
      const status = statusOf(error as Error);
      const fingerprint = fingerprintOf();
      if (status !== undefined && isFinal(status) && fingerprint !== undefined) {
        const body = Buffer.from(JSON.stringify({ error: (error as Error).message, code: errorCodeOf(error, status) }));
        await this.keep(key, { state: 'done', fingerprint, status, headers: {}, body: seal(body) }, ttlSeconds);
      } else {
        await this.redis.del(key).catch(() => undefined);
      }
      throw error;
    }
    const fingerprint = fingerprintOf();
    if (!isFinal(result.status) || fingerprint === undefined) {
      await this.redis.del(key).catch(() => undefined);
    } else if (result.body.length > maxAnswerBytes) {
      await this.keep(key, { state: 'too-large', fingerprint, status: result.status }, ttlSeconds);
    } else {
      await this.keep(key, { state: 'done', fingerprint, status: result.status, headers: result.headers, body: seal(result.body) }, ttlSeconds);
    }
    return result;
  }

  /** The seal's key of one tenant's Idempotency-Key (the client's key as sent: only the retry brings it again). */
  private answerKey(call: { tenantId: string; key: string }): Buffer {
    return deriveKey(`${this.config.payloadKey ?? ''}\u0000${call.key}`, 'falaj-idempotency-v1', call.tenantId);
  }

  private opened(call: { tenantId: string; key: string }, sealed: Buffer, key: string): Buffer {
    try {
      return openWith(this.answerKey(call), sealed, key);
    } catch {
      // Kept before answers were sealed, or under another FALAJ_PAYLOAD_KEY: never replayed unread.
      throw new IdempotencyError(409, 'the kept answer of this Idempotency-Key cannot be read by this gateway; use a new key to run the model again', 'idempotency');
    }
  }

  /** XX: only over this call's own claim (a claim that expired meanwhile is not recreated). */
  private async keep(key: string, record: IdempotencyRecord, ttlSeconds: number): Promise<void> {
    await this.redis.set(key, JSON.stringify(record), 'EX', ttlSeconds, 'XX').catch(() => undefined);
  }
}
