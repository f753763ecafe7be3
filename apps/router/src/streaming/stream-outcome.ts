import type { Message } from 'kafkajs';
import { STREAM_HEADERS, type AuditEvent } from '@falaj/contracts';

/** What became of one streamed request; turned into Kafka messages in the batch's transaction. */
export type StreamOutcome =
  | { kind: 'response'; requestId: string; topic: string; status: number; body: object; traceparent?: string; retryAfterSeconds?: number; audit?: AuditEvent }
  | { kind: 'dead-letter'; requestId: string; reason: string; original: Message; source: string }
  /** Answered already (a redelivery, or the same request id published twice). */
  | { kind: 'duplicate'; requestId: string };

export function responseMessage(outcome: Extract<StreamOutcome, { kind: 'response' }>): Message {
  return {
    key: outcome.requestId,
    value: JSON.stringify(outcome.body),
    headers: {
      [STREAM_HEADERS.requestId]: outcome.requestId,
      [STREAM_HEADERS.status]: String(outcome.status),
      ...(outcome.traceparent ? { [STREAM_HEADERS.traceparent]: outcome.traceparent } : {}),
      ...(outcome.retryAfterSeconds !== undefined ? { [STREAM_HEADERS.retryAfter]: String(outcome.retryAfterSeconds) } : {}),
    },
  };
}

export function deadLetterMessage(outcome: Extract<StreamOutcome, { kind: 'dead-letter' }>): Message {
  const headers: NonNullable<Message['headers']> = { ...(outcome.original.headers ?? {}) };
  // The token stays out of the dead-letter topic: whoever reads it need not be trusted with it.
  delete headers[STREAM_HEADERS.authorization];
  headers[STREAM_HEADERS.requestId] = outcome.requestId;
  headers[STREAM_HEADERS.dlqReason] = outcome.reason;
  headers[STREAM_HEADERS.dlqSource] = outcome.source;
  return { key: outcome.original.key, value: outcome.original.value, headers };
}
