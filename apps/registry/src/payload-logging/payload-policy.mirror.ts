import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type Redis from 'ioredis';
import { IsNull, Not, type Repository } from 'typeorm';
import { modelPayloadField, payloadPoliciesChangedChannel, payloadPoliciesKey, tenantPayloadField, type PayloadLogging } from '@falaj/contracts';
import { ModelEntity } from '../models/model.entity';
import { REGISTRY_CONFIG, REGISTRY_REDIS, type RegistryConfig } from '../registry.config';
import { TenantEntity } from '../tenants/tenant.entity';

/** How often a lost hash (a Redis flush) is looked for and rewritten from Postgres. */
const HEAL_INTERVAL_MS = 10_000;

/**
 * The payload policies' copy in Redis, which every edge (gateway, router, the batch runner)
 * follows in memory: one hash, a field per tenant or model whose policy is not `none`, every
 * change announced on the channel. Postgres is the truth; the hash is rewritten whole from it at
 * boot and whenever it is found missing. A tenant absent from the hash is `none`: a lost hash
 * logs less for up to HEAL_INTERVAL_MS, never more.
 */
@Injectable()
export class PayloadPolicyMirror implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PayloadPolicyMirror.name);
  private readonly key: string;
  private readonly channel: string;
  private healer?: NodeJS.Timeout;

  constructor(
    @InjectRepository(TenantEntity) private readonly tenants: Repository<TenantEntity>,
    @InjectRepository(ModelEntity) private readonly models: Repository<ModelEntity>,
    @Inject(REGISTRY_REDIS) private readonly redis: Redis,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
  ) {
    this.key = payloadPoliciesKey(config.prefix);
    this.channel = payloadPoliciesChangedChannel(config.prefix);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.rewrite();
    this.healer = setInterval(() => void this.healIfLost(), HEAL_INTERVAL_MS);
    this.healer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.healer);
  }

  private async healIfLost(): Promise<void> {
    try {
      if (await this.redis.exists(this.key)) return;
      await this.rewrite();
    } catch (error) {
      this.logger.warn(`payload policy mirror check failed: ${(error as Error).message}`);
    }
  }

  private async rewrite(): Promise<void> {
    const tenants = await this.tenants.find({ where: { payloadLogging: Not('none') }, select: { id: true, payloadLogging: true } });
    const models = await this.models.find({ where: { payloadLogging: Not(IsNull()) }, select: { tenantId: true, name: true, payloadLogging: true } });
    const multi = this.redis.multi().del(this.key);
    for (const t of tenants) multi.hset(this.key, tenantPayloadField(t.id), t.payloadLogging);
    for (const m of models) multi.hset(this.key, modelPayloadField(m.tenantId, m.name), m.payloadLogging!);
    await multi.publish(this.channel, '*').exec();
  }

  /** A tenant's policy: `none` is the absence of a field. */
  setTenant(tenantId: string, policy: PayloadLogging): Promise<void> {
    return this.write(tenantPayloadField(tenantId), policy === 'none' ? null : policy);
  }

  /** A model's override; null: none, the tenant's applies (a model's `none` is kept: it overrides). */
  setModel(tenantId: string, model: string, policy: PayloadLogging | null): Promise<void> {
    return this.write(modelPayloadField(tenantId, model), policy);
  }

  private async write(field: string, policy: PayloadLogging | null): Promise<void> {
    const multi = this.redis.multi();
    if (policy) multi.hset(this.key, field, policy);
    else multi.hdel(this.key, field);
    await multi.publish(this.channel, field).exec();
  }
}
