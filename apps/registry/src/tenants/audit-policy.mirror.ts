import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type Redis from 'ioredis';
import type { Repository } from 'typeorm';
import { auditPoliciesChangedChannel, auditPoliciesKey, type AuditPolicy } from '@falaj/contracts';
import { REGISTRY_CONFIG, REGISTRY_REDIS, type RegistryConfig } from '../registry.config';
import { TenantEntity } from './tenant.entity';

/** As the quota mirror's: a Redis that lost the hash has it back within this long. */
const HEAL_INTERVAL_MS = 10_000;

/**
 * The must-audit tenants' copy in Redis, which the gateways follow: one field per such tenant,
 * every change announced on the channel. Postgres is the truth; the hash is rewritten whole from
 * it at boot, and again whenever it is found missing while some tenant must be audited.
 */
@Injectable()
export class AuditPolicyMirror implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditPolicyMirror.name);
  private readonly key: string;
  private readonly channel: string;
  private healer?: NodeJS.Timeout;

  constructor(
    @InjectRepository(TenantEntity) private readonly tenants: Repository<TenantEntity>,
    @Inject(REGISTRY_REDIS) private readonly redis: Redis,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
  ) {
    this.key = auditPoliciesKey(config.prefix);
    this.channel = auditPoliciesChangedChannel(config.prefix);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.rewrite();
    this.healer = setInterval(() => void this.healIfLost(), HEAL_INTERVAL_MS);
    this.healer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.healer);
  }

  /** One tenant's policy; in the caller's transaction, so a Redis that refuses rolls the change back. */
  async set(tenantId: string, policy: AuditPolicy): Promise<void> {
    const multi = this.redis.multi();
    if (policy.mustAudit) multi.hset(this.key, tenantId, JSON.stringify(policy));
    else multi.hdel(this.key, tenantId);
    await multi.publish(this.channel, tenantId).exec();
  }

  private async healIfLost(): Promise<void> {
    try {
      if (await this.redis.exists(this.key)) return;
      if ((await this.tenants.countBy({ mustAudit: true })) === 0) return;
      this.logger.warn('the audit-policy hash is gone from Redis; rewriting it from Postgres');
      await this.rewrite();
    } catch (error) {
      this.logger.warn(`audit policy mirror check failed: ${(error as Error).message}`);
    }
  }

  private async rewrite(): Promise<void> {
    const tenants = await this.tenants.find({ where: { mustAudit: true }, select: { id: true } });
    const multi = this.redis.multi().del(this.key);
    for (const { id } of tenants) multi.hset(this.key, id, JSON.stringify({ mustAudit: true } satisfies AuditPolicy));
    await multi.publish(this.channel, '*').exec();
    this.logger.log({ mustAudit: tenants.length }, 'audit policies mirrored');
  }
}
