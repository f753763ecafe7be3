import { ReplyTopicSchema, STREAM_HEADERS, StreamInferRequestSchema, type StreamInferRequest } from '@falaj/contracts';

export interface RawStreamMessage {
  key: Buffer | null;
  value: Buffer | null;
  /** As kafkajs decodes them: a header sent with a null value is null; a repeated one, an array. */
  headers?: Record<string, Buffer | string | null | (Buffer | string | null)[] | undefined>;
  partition: number;
  offset: string;
}

export type ParsedStreamMessage =
  | {
      ok: true;
      requestId: string;
      /** Per-key ordering holds among messages of one key. */
      orderingKey: string;
      replyTopic?: string;
      authorization?: string;
      tenant?: string;
      traceparent?: string;
      request: StreamInferRequest;
    }
  | { ok: false; requestId: string; reason: string };

/**
 * Reads one message of the requests topic. It never throws: what cannot be read becomes a reason
 * for the dead-letter topic. A message without a request id gets one derived from its position,
 * so a redelivery of the same message is recognised as the same request.
 */
export function parseStreamMessage(message: RawStreamMessage): ParsedStreamMessage {
  const headers = readHeaders(message.headers);
  const key = message.key?.toString('utf8') || undefined;
  const requestId = headers[STREAM_HEADERS.requestId] || key || `p${message.partition}-o${message.offset}`;
  if (requestId.length > 200) return { ok: false, requestId: requestId.slice(0, 200), reason: 'request id longer than 200 characters' };
  if (!message.value || message.value.length === 0) return { ok: false, requestId, reason: 'empty message' };

  let json: unknown;
  try {
    json = JSON.parse(message.value.toString('utf8'));
  } catch {
    return { ok: false, requestId, reason: 'undecodable: value is not JSON' };
  }
  const parsed = StreamInferRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, requestId, reason: `undecodable: ${issue.path.join('.') || 'value'}: ${issue.message}` };
  }
  const replyTopic = headers[STREAM_HEADERS.replyTopic];
  if (replyTopic !== undefined && !ReplyTopicSchema.safeParse(replyTopic).success) {
    return { ok: false, requestId, reason: `undecodable: reply-topic '${replyTopic.slice(0, 50)}' is not a topic name` };
  }
  return {
    ok: true,
    requestId,
    orderingKey: key ?? requestId,
    replyTopic,
    authorization: headers[STREAM_HEADERS.authorization],
    tenant: headers[STREAM_HEADERS.tenant],
    traceparent: headers[STREAM_HEADERS.traceparent],
    request: parsed.data,
  };
}

/**
 * Header names lower-cased, each with its first value that is present. A prototype-less record:
 * a header named `__proto__` or `constructor` is just a header.
 */
function readHeaders(raw: RawStreamMessage['headers']): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = Object.create(null) as Record<string, string | undefined>;
  for (const [name, value] of Object.entries(raw ?? {})) {
    // Only strings and bytes: kafkajs decodes a header named like an Object.prototype property
    // (`constructor`, `__proto__`) as [<the inherited value>, value].
    const first = (Array.isArray(value) ? value : [value]).find((v): v is string | Buffer => typeof v === 'string' || Buffer.isBuffer(v));
    const key = name.toLowerCase();
    if (first !== undefined && headers[key] === undefined) headers[key] = first.toString();
  }
  return headers;
}
