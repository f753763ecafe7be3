import type { Message } from 'kafkajs';
import { STREAM_HEADERS, type AuditEvent } from '@falaj/contracts';

/** What became of one streamed request; turned into Kafka messages in the batch's transaction. */
export type StreamOutcome =
  | {
      kind: 'response';
      tenantId: string;
      requestId: string;
      topic: string;
      status: number;
      body: object;
      traceparent?: string;
      /** Seconds, as retryAfterHeader gives them. */ retryAfter?: string;
      audit?: AuditEvent;
    }
  /**
   * Set aside with the reason. `audit`: a call of a known tenant (refused after authentication,
   * or answered and then refused by the broker) keeps its audit event, its error saying it was
   * dead-lettered and why; only a message nobody can be named for goes unaudited.
   */
  | { kind: 'dead-letter'; requestId: string; reason: string; original: Message; source: string; audit?: AuditEvent }
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
      ...(outcome.retryAfter !== undefined ? { [STREAM_HEADERS.retryAfter]: outcome.retryAfter } : {}),
    },
  };
}

export function deadLetterMessage(outcome: Extract<StreamOutcome, { kind: 'dead-letter' }>): Message {
  // The credential stays out of the dead-letter topic, whatever the case of its header's name
  // (the parser reads `Authorization` as `authorization`): whoever reads it need not be trusted with it.
  // Only the values a header can carry are copied back: kafkajs decodes a header named after an
  // Object.prototype property (`constructor`, `toString`) as [<the inherited value>, value], which
  // it then cannot encode — a non-retriable error that would stop the bridge.
  const headers: NonNullable<Message['headers']> = Object.create(null) as NonNullable<Message['headers']>;
  for (const [name, raw] of Object.entries(outcome.original.headers ?? {})) {
    if (name.toLowerCase() === STREAM_HEADERS.authorization) continue;
    const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string | Buffer => typeof v === 'string' || Buffer.isBuffer(v));
    if (values.length > 0) headers[name] = values.length === 1 ? values[0] : values;
  }
  headers[STREAM_HEADERS.requestId] = outcome.requestId;
  headers[STREAM_HEADERS.dlqReason] = outcome.reason;
  headers[STREAM_HEADERS.dlqSource] = outcome.source;
  return { key: outcome.original.key, value: outcome.original.value, headers };
}
