import { inferenceStreamTopics, isTenantReplyTopic, platformTopics, tenantReplyTopicNamespace } from '@falaj/contracts';

/** Topics no request may have answers written to, whatever its namespace says: the platform's and the streaming API's own. */
export function reservedTopics(platformPrefix: string, streamPrefix: string): ReadonlySet<string> {
  return new Set([...Object.values(platformTopics(platformPrefix)).map((t) => t.topic), ...Object.values(inferenceStreamTopics(streamPrefix))]);
}

/**
 * Why an authenticated request of `tenantId` may not name `topic` as its `reply-topic`, or null
 * when it may: only topics of the tenant's own reply namespace, never a reserved topic.
 */
export function replyTopicRefusal(topic: string, tenantId: string, streamPrefix: string, reserved: ReadonlySet<string>): string | null {
  const shown = topic.slice(0, 100);
  if (reserved.has(topic)) return `forbidden: reply-topic '${shown}' is a platform topic`;
  if (isTenantReplyTopic(streamPrefix, tenantId, topic)) return null;
  const namespace = tenantReplyTopicNamespace(streamPrefix, tenantId);
  return `forbidden: reply-topic '${shown}' is outside the tenant's namespace (use '${namespace}' or '${namespace}.<suffix>')`;
}

/** Where an admitted request is answered: its `reply-topic` (already checked to be the tenant's), else the tenant's default reply topic. */
export function replyTopicOf(requested: string | undefined, tenantId: string, streamPrefix: string): string {
  return requested ?? tenantReplyTopicNamespace(streamPrefix, tenantId);
}
