import { z } from 'zod';

/**
 * The public streaming-inference topics. Their names are part of the API users publish to:
 * `<prefix>.inference.requests|dlq`, prefix `falaj` by default. There is no shared answers topic
 * (`<prefix>.inference.responses` was one, readable by every tenant): a request is answered on its
 * tenant's reply topic (tenantReplyTopicNamespace), which only that tenant may read.
 */
export const inferenceStreamTopics = (prefix: string) => ({
  requests: `${prefix}.inference.requests`,
  dlq: `${prefix}.inference.dlq`,
});

/** What a tenant may add after its reply namespace (`<namespace>.<suffix>`). */
const REPLY_TOPIC_SUFFIX = /^[a-zA-Z0-9_-]{1,100}$/;

/**
 * The namespace of a tenant's reply topics, and its default reply topic (made with the tenant):
 * a request without a `reply-topic` is answered there. A request's `reply-topic` must be
 * `<prefix>.replies.<tenantId>` or `<prefix>.replies.<tenantId>.<suffix>` (suffix
 * `[a-zA-Z0-9_-]{1,100}`): a tenant can only have answers written to topics of its own. Tenant
 * ids are slugs without dots and a suffix has none, so one tenant's namespace never holds another's.
 */
export const tenantReplyTopicNamespace = (prefix: string, tenantId: string): string => `${prefix}.replies.${tenantId}`;

/** Whether `topic` is in the tenant's reply namespace (see tenantReplyTopicNamespace). */
export function isTenantReplyTopic(prefix: string, tenantId: string, topic: string): boolean {
  const namespace = tenantReplyTopicNamespace(prefix, tenantId);
  if (topic === namespace) return true;
  return topic.startsWith(`${namespace}.`) && REPLY_TOPIC_SUFFIX.test(topic.slice(namespace.length + 1));
}

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

/** The syntax of a Kafka topic name, checked on a `reply-topic` before the tenant is known (then isTenantReplyTopic). */
export const ReplyTopicSchema = z
  .string()
  .regex(/^[a-zA-Z0-9._-]{1,249}$/, 'a Kafka topic name')
  // Kafka refuses these two outright (InvalidTopicException), whatever the namespace.
  .refine((topic) => topic !== '.' && topic !== '..', 'a Kafka topic name (not "." or "..")');
