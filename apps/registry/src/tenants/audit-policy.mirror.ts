import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type Redis from 'ioredis';
import type { Repository } from 'typeorm';
import { auditPoliciesChangedChannel, auditPoliciesKey, type AuditPolicy } from '@falaj/contracts';
import { RedisHashWriter } from '@falaj/messaging';
import { REGISTRY_CONFIG, REGISTRY_REDIS, type RegistryConfig } from '../registry.config';
import { TenantEntity } from './tenant.entity';

/**
 * The must-audit tenants' copy in Redis, which the gateways follow: one field per such tenant,
 * every change announced on the channel. Postgres is the truth; the hash is rewritten whole from
 * it at boot, and again within 10 s when Redis lost it (RedisHashWriter).
 */
@Injectable()
export class AuditPolicyMirror extends RedisHashWriter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditPolicyMirror.name);

  constructor(
    @InjectRepository(TenantEntity) private readonly tenants: Repository<TenantEntity>,
    @Inject(REGISTRY_REDIS) redis: Redis,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
  ) {
    super(redis, auditPoliciesKey(config.prefix), auditPoliciesChangedChannel(config.prefix));
  }

  onApplicationBootstrap(): Promise<void> {
    return this.start();
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  /** One tenant's policy; in the caller's transaction, so a Redis that refuses rolls the change back. */
  async set(tenantId: string, policy: AuditPolicy): Promise<void> {
    const multi = this.redis.multi();
    if (policy.mustAudit) multi.hset(this.key, tenantId, JSON.stringify(policy));
    else multi.hdel(this.key, tenantId);
    await multi.publish(this.channel, tenantId).exec();
  }

  protected override async worthHealing(): Promise<boolean> {
    return (await this.tenants.countBy({ mustAudit: true })) > 0;
  }

  protected async records(): Promise<[string, string][]> {
    const tenants = await this.tenants.find({ where: { mustAudit: true }, select: { id: true } });
    this.logger.log({ mustAudit: tenants.length }, 'audit policies mirrored');
    return tenants.map(({ id }) => [id, JSON.stringify({ mustAudit: true } satisfies AuditPolicy)]);
  }
}
