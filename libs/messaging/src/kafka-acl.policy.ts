import { auditTopic, regionAuditTopicNamespace, inferenceStreamTopics, modelCommandsTopic, modelLifecycleTopic, quarantineTopic, rolloutTopic, tenantReplyTopicNamespace } from '@falaj/contracts';
import { tenantKafkaPrincipal, tenantKafkaGroupPrefix } from './kafka-token';

/**
 * The SCRAM users of the platform's Kafka, one per app (the CPU and GPU workers run the same code
 * and share one), plus the operator, the broker itself and the registry's tenant provisioner.
 * scripts/infra.sh adds exactly these when it formats the broker (its spec checks the two agree).
 * Tenants have none: each logs in with OAUTHBEARER as a principal of its own (kafka-token.ts).
 */
export const KAFKA_USERS = {
  admin: 'falaj-admin',
  broker: 'falaj-broker',
  gateway: 'falaj-gateway',
  registry: 'falaj-registry',
  router: 'falaj-router',
  worker: 'falaj-worker',
  /**
   * Grants and removes each tenant's ACLs as tenants are made and deleted, and creates and deletes
   * their reply topics. Granting an ACL needs ALTER on the cluster, and Kafka has no narrower form
   * of it: whoever holds it can grant anything to anyone, itself included. So it is a login of its
   * own, used only by the registry's tenant provisioning (TenantKafkaProvisioner), never by the
   * registry's producers and consumers, and never a super user.
   */
  provisioner: 'falaj-provisioner',
} as const;
export type KafkaUser = (typeof KAFKA_USERS)[keyof typeof KAFKA_USERS];
/** Whom a rule is for: an app's SCRAM user, or a tenant's OAUTHBEARER principal (tenantKafkaPrincipal). */
export type KafkaPrincipalName = KafkaUser | `tenant.${string}`;

export type AclResourceType = 'topic' | 'group' | 'transactional-id' | 'cluster';
export type AclPattern = 'literal' | 'prefixed';
export type AclOperation = 'read' | 'write' | 'create' | 'delete' | 'describe' | 'alter' | 'idempotent-write';

/** One grant: a user may do these operations on the resources a name (or a name prefix) matches. */
export interface KafkaAclRule {
  user: KafkaPrincipalName;
  resource: { type: AclResourceType; pattern: AclPattern; name: string };
  operations: readonly AclOperation[];
  /** Why the app needs it (what breaks without it). */
  why: string;
}

/** Kafka's one cluster resource; its grants are the same for every prefix (never removed with a prefix's). */
export const KAFKA_CLUSTER = 'kafka-cluster';

const topic = (name: string, pattern: AclPattern = 'literal') => ({ type: 'topic' as const, pattern, name });
const group = (name: string, pattern: AclPattern = 'literal') => ({ type: 'group' as const, pattern, name });

/**
 * Everything each app may do on Kafka for one deployment prefix (and the streaming topics'
 * prefix, `FALAJ_STREAM_TOPIC_PREFIX`). Nothing is allowed that is not listed here: the broker runs
 * with `allow.everyone.if.no.acl.found=false`. Each topic has one writer where its consumers act
 * on what they read: lifecycle, commands, rollouts and quarantine only the registry, responses,
 * reply topics and dead letters only the router; the audit topic has two (the gateway and the
 * router, each auditing its own protocols), both entitled to every row they write.
 */
export function kafkaAclPolicy(prefix: string, streamPrefix: string = prefix): KafkaAclRule[] {
  const lifecycle = modelLifecycleTopic(prefix);
  const commands = modelCommandsTopic(prefix);
  const audit = auditTopic(prefix);
  // Every region's own audit topic (once regions have stores of their own), and nothing else: their quarantine is the shared one's.
  const regionAudit = topic(regionAuditTopicNamespace(prefix), 'prefixed');
  const stream = inferenceStreamTopics(streamPrefix);
  // The namespace of every tenant's reply topics, `<stream prefix>.replies.<tenant>[.<suffix>]`.
  const replies = `${tenantReplyTopicNamespace(streamPrefix, '')}`;
  const { registry, gateway, router, worker, provisioner } = KAFKA_USERS;
  const owns = ['write', 'create', 'describe'] as const;
  const follows = ['read', 'create', 'describe'] as const;
  return [
    { user: registry, resource: topic(lifecycle), operations: owns, why: "publishes each model's state (compacted); the one writer the router and workers believe" },
    { user: registry, resource: topic(commands), operations: owns, why: 'publishes load/unload overrides of versions; the one writer workers obey' },
    { user: registry, resource: topic(rolloutTopic(prefix)), operations: owns, why: 'records each rollout step' },
    { user: registry, resource: topic(audit), operations: follows, why: 'the audit writer drains it into Postgres' },
    { user: registry, resource: regionAudit, operations: follows, why: "the audit writer drains each region's own topic into that region's store" },
    { user: registry, resource: topic(quarantineTopic(audit)), operations: owns, why: 'sets aside audit records it cannot store' },
    { user: registry, resource: group(`${prefix}-registry-`, 'prefixed'), operations: ['read'], why: "the audit writer's consumer group" },
    { user: registry, resource: { type: 'cluster', pattern: 'literal', name: KAFKA_CLUSTER }, operations: ['idempotent-write'], why: 'its producer is idempotent' },

    { user: gateway, resource: topic(audit), operations: owns, why: 'one audit event per REST, gRPC and KServe call' },
    { user: gateway, resource: regionAudit, operations: owns, why: "the same, on the region's own topic once regions have stores of their own" },
    { user: gateway, resource: { type: 'cluster', pattern: 'literal', name: KAFKA_CLUSTER }, operations: ['idempotent-write'], why: 'its producer is idempotent' },

    { user: router, resource: topic(lifecycle), operations: follows, why: 'keeps the routing table from it' },
    { user: router, resource: topic(audit), operations: owns, why: "one audit event per streamed call, in the batch's transaction" },
    { user: router, resource: regionAudit, operations: owns, why: "the same, on the region's own topic once regions have stores of their own" },
    { user: router, resource: topic(stream.requests), operations: follows, why: "the streaming bridge consumes the tenants' requests" },
    { user: router, resource: topic(stream.dlq), operations: owns, why: 'dead-letters what it cannot answer' },
    {
      user: router,
      resource: topic(replies, 'prefixed'),
      operations: ['write', 'describe'],
      why: "answers on a tenant's reply topics (its default one, made when the tenant is, or one it created and named)",
    },
    { user: router, resource: group(`${prefix}-router`), operations: ['read'], why: "the lifecycle consumer's group" },
    { user: router, resource: group(`${prefix}-router-streaming`), operations: ['read', 'describe'], why: "the bridge's group: offsets committed in its transactions, lag read from it" },
    {
      user: router,
      resource: { type: 'transactional-id', pattern: 'prefixed', name: `${prefix}-router-streaming-` },
      operations: ['write', 'describe'],
      why: 'one transactional producer per router instance',
    },
    { user: router, resource: { type: 'cluster', pattern: 'literal', name: KAFKA_CLUSTER }, operations: ['idempotent-write'], why: 'its producers are idempotent and transactional' },

    { user: worker, resource: topic(lifecycle), operations: follows, why: 'learns which versions to host' },
    { user: worker, resource: topic(commands), operations: follows, why: 'load/unload overrides of versions' },
    { user: worker, resource: group(`${prefix}-worker-`, 'prefixed'), operations: ['read'], why: "each worker's lifecycle and commands groups" },

    {
      user: provisioner,
      resource: { type: 'cluster', pattern: 'literal', name: KAFKA_CLUSTER },
      operations: ['alter'],
      why: "grants and removes each tenant's ACLs (CreateAcls and DeleteAcls need ALTER on the cluster; Kafka has nothing narrower)",
    },
    {
      user: provisioner,
      resource: topic(replies, 'prefixed'),
      operations: ['create', 'delete', 'describe'],
      why: "makes a tenant's default reply topic with the tenant, deletes its reply topics with it",
    },
  ];
}

/**
 * What one tenant's OAUTHBEARER principal may do: publish requests, and read only its own reply
 * namespace and its own consumer groups. Reply topics are `<ns>.<tenant>` and `<ns>.<tenant>.<suffix>`:
 * a LITERAL grant on the first and a PREFIXED one on `<ns>.<tenant>.`, never a PREFIXED
 * `<ns>.<tenant>`, which would also match tenant `acmecorp`'s topics for tenant `acme`. Groups
 * likewise end their prefix with a dot, which no tenant id holds. Granted when the tenant is
 * made, removed when it is deleted (the registry's TenantKafkaProvisioner).
 */
export function tenantKafkaAclPolicy(streamPrefix: string, tenantId: string): KafkaAclRule[] {
  const user = tenantKafkaPrincipal(streamPrefix, tenantId);
  const namespace = tenantReplyTopicNamespace(streamPrefix, tenantId);
  return [
    { user, resource: topic(inferenceStreamTopics(streamPrefix).requests), operations: ['write', 'describe'], why: 'publishes inference requests (authorised again by the token inside each)' },
    { user, resource: topic(namespace), operations: ['read', 'describe'], why: 'reads its default reply topic (made with the tenant)' },
    { user, resource: topic(`${namespace}.`, 'prefixed'), operations: ['read', 'create', 'describe'], why: 'creates and reads reply topics of its own' },
    { user, resource: group(tenantKafkaGroupPrefix(streamPrefix, tenantId), 'prefixed'), operations: ['read'], why: "its consumer groups, apart from the platform's and other tenants'" },
  ];
}

/** Operations a grant of another implies, as Kafka's authorizer applies them. */
const IMPLIED: Partial<Record<AclOperation, readonly AclOperation[]>> = { read: ['describe'], write: ['describe'], delete: ['describe'], alter: ['describe'] };

/**
 * Whether the rules let `user` do `operation` on the named resource, with Kafka's matching
 * (a literal name, or a prefix of the name). Super users (the operator, the broker) are not
 * modelled: this answers for the apps and the tenants.
 */
export function aclAllows(rules: readonly KafkaAclRule[], user: KafkaPrincipalName, operation: AclOperation, resource: { type: AclResourceType; name: string }): boolean {
  return rules.some(
    (rule) =>
      rule.user === user &&
      rule.resource.type === resource.type &&
      (rule.resource.pattern === 'literal' ? resource.name === rule.resource.name : resource.name.startsWith(rule.resource.name)) &&
      rule.operations.some((granted) => granted === operation || IMPLIED[granted]?.includes(operation)),
  );
}
