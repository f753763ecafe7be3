import { z } from 'zod';

/**
 * The public streaming-inference topics. Their names are part of the API users publish to, as
 * the issue fixes them: `<prefix>.inference.requests|responses|dlq`, prefix `falaj` by default.
 */
export const inferenceStreamTopics = (prefix: string) => ({
  requests: `${prefix}.inference.requests`,
  responses: `${prefix}.inference.responses`,
  dlq: `${prefix}.inference.dlq`,
});

/** Kafka headers of the streaming API (lower-case, as HTTP would have them). */
export const STREAM_HEADERS = {
  authorization: 'authorization',
  requestId: 'request-id',
  replyTopic: 'reply-topic',
  tenant: 'tenant',
  traceparent: 'traceparent',
  status: 'status',
  /** On a 429 or 503 answer: seconds to wait before publishing again, as HTTP's Retry-After. */
  retryAfter: 'retry-after',
  dlqReason: 'dlq-reason',
  dlqSource: 'dlq-source',
} as const;

/** A request: an OIP v2 inference request plus the model it is for. */
export const StreamInferRequestSchema = z
  .object({
    model_name: z.string().min(1).max(128),
    model_version: z.string().min(1).max(32).optional(),
    id: z.string().max(200).optional(),
    inputs: z.array(z.unknown()),
  })
  .loose();
export type StreamInferRequest = z.infer<typeof StreamInferRequestSchema>;

/** A reply topic a request may name instead of the default responses topic. */
export const ReplyTopicSchema = z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'a Kafka topic name');
