import { auditTopic, regionAuditTopic } from './audit/audit.event';
import { modelCommandsTopic } from './commands/model-command';
import { modelLifecycleTopic } from './lifecycle/model-lifecycle.event';
import { rolloutTopic } from './rollouts/rollout-event';

/** The Kafka topics of the platform, with their partitioning and retention. */
export function platformTopics(prefix: string) {
  return {
    lifecycle: {
      topic: modelLifecycleTopic(prefix),
      numPartitions: 3,
      // Keyed by model: compaction keeps each model's latest state forever.
      config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' },
    },
    commands: {
      topic: modelCommandsTopic(prefix),
      numPartitions: 3,
      // Keyed by version: the latest override of each version is kept.
      config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' },
    },
    // Keyed by model; a record of every rollout step, kept like the audit trail.
    rollouts: { topic: rolloutTopic(prefix), numPartitions: 3, config: { 'retention.ms': String(30 * 24 * 3600 * 1000) } },
    audit: { topic: auditTopic(prefix), numPartitions: 3, config: AUDIT_TOPIC_CONFIG },
  };
}

const AUDIT_TOPIC_CONFIG = { 'retention.ms': String(7 * 24 * 3600 * 1000) };

/** A region's own audit topic (regionAuditTopic), kept as the shared one is. */
export function regionAuditTopicSpec(prefix: string, region: string) {
  return { topic: regionAuditTopic(prefix, region), numPartitions: 3, config: AUDIT_TOPIC_CONFIG };
}
