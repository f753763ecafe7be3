import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Admin } from 'kafkajs';
import { tenantReplyTopicNamespace } from '@falaj/contracts';
import { applyKafkaAcls, createKafka, removeKafkaAcls, tenantKafkaAclPolicy } from '@falaj/messaging';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';

/** Partitions of a tenant's default reply topic (answers of one request id stay in order on one). */
const REPLY_TOPIC_PARTITIONS = 3;

/**
 * A tenant's place on Kafka: its default reply topic and the ACLs of its own principal
 * (tenantKafkaAclPolicy), made when the tenant is and removed, with every reply topic of its
 * namespace, when it is deleted, so a later tenant of the same id reads none of its answers.
 * It speaks as the provisioner login (ALTER on the cluster), which nothing else in the registry
 * uses; on a plaintext broker there are no ACLs, only the topic.
 */
@Injectable()
export class TenantKafkaProvisioner implements OnApplicationShutdown {
  private readonly logger = new Logger(TenantKafkaProvisioner.name);
  private readonly admin: Admin;
  private connected?: Promise<void>;

  constructor(@Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig) {
    this.admin = createKafka('registry-provisioner', config.tenantKafka.provisioner).admin();
  }

  /** Idempotent: granting a binding that exists, or making a topic that exists, changes nothing. */
  async provision(...tenantIds: string[]): Promise<void> {
    if (tenantIds.length === 0) return;
    const admin = await this.connectedAdmin();
    const { streamPrefix } = this.config.tenantKafka;
    // ACLs first: a topic without them is readable by no tenant, an ACL without its topic by no one.
    const granted = this.acls
      ? await applyKafkaAcls(
          admin,
          tenantIds.flatMap((id) => tenantKafkaAclPolicy(streamPrefix, id)),
        )
      : 0;
    const existing = new Set(await admin.listTopics());
    const missing = tenantIds.map((id) => tenantReplyTopicNamespace(streamPrefix, id)).filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: REPLY_TOPIC_PARTITIONS, replicationFactor: 1 })) }).catch((error: { type?: string }) => {
        if (error.type !== 'TOPIC_ALREADY_EXISTS') throw error;
      });
    }
    this.logger.log({ tenants: tenantIds.length === 1 ? tenantIds[0] : tenantIds.length, acls: granted, topicsMade: missing.length }, 'tenants provisioned on Kafka');
  }

  async deprovision(tenantId: string): Promise<void> {
    const admin = await this.connectedAdmin();
    const namespace = tenantReplyTopicNamespace(this.config.tenantKafka.streamPrefix, tenantId);
    if (this.acls) await removeKafkaAcls(admin, tenantKafkaAclPolicy(this.config.tenantKafka.streamPrefix, tenantId));
    const topics = (await admin.listTopics()).filter((t) => t === namespace || t.startsWith(`${namespace}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    this.logger.log({ tenantId, topics: topics.length }, 'tenant removed from Kafka');
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.connected) await this.admin.disconnect().catch(() => undefined);
  }

  private get acls(): boolean {
    return this.config.tenantKafka.tokenKey !== undefined;
  }

  private async connectedAdmin(): Promise<Admin> {
    this.connected ??= this.admin.connect().catch((error: Error) => {
      this.connected = undefined;
      throw error;
    });
    await this.connected;
    return this.admin;
  }
}
