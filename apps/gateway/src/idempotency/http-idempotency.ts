import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '@falaj/auth';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, requestFingerprint, type KeptAnswer } from './idempotency.policy';
import { replayedRefusal, type IdempotentCall } from './idempotency.service';

/** The call's `Idempotency-Key`, scoped to the caller's tenant, with what makes it the same request; undefined without one. */
export function idempotentCallOf(request: FastifyRequest, principal: Principal, parts: readonly (string | Buffer)[]): IdempotentCall | undefined {
  const header = request.headers[IDEMPOTENCY_KEY_HEADER];
  if (header === undefined) return undefined;
  // Two keys on one request name no one request: refused as a malformed key.
  const key = Array.isArray(header) ? '' : header;
  return { tenantId: principal.tenantId, key, fingerprint: requestFingerprint(parts) };
}

/**
 * Puts an answer (new or kept) on the reply: its headers, and `Idempotent-Replayed: true` when it
 * is a kept one. A kept refusal is thrown again, so the protocol's error filter gives it its shape.
 */
export function sendAnswer(reply: FastifyReply, answer: KeptAnswer & { replayed: boolean }): Buffer {
  void reply.headers(answer.headers);
  if (answer.replayed) void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
  if (answer.status >= 400) throw replayedRefusal(answer);
  void reply.status(answer.status);
  return answer.body;
}
