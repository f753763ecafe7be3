import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type Redis from 'ioredis';
import { RedisHashSource } from '@falaj/messaging';
import { IsNull, Not, type Repository } from 'typeorm';
import {
  ModelQuotaRecordSchema,
  TenantQuotaRecordSchema,
  modelQuotaField,
  quotasChangedChannel,
  quotasKey,
  tenantQuotaField,
  type ModelQuotaRecord,
  type TenantQuotaRecord,
} from '@falaj/contracts';
import { ModelEntity } from '../models/model.entity';
import { REGISTRY_CONFIG, REGISTRY_REDIS, type RegistryConfig } from '../registry.config';
import { TenantEntity } from '../tenants/tenant.entity';

/**
 * The quota records' copy in Redis, which the gateways and routers follow (they never call the
 * registry to admit a request): one hash, a field per record, every change announced on the
 * channel. Postgres is the truth; the hash is rewritten whole from it at boot, and again whenever
 * it is found missing (RedisHashSource), so a Redis that lost it has its quotas back within 10 s.
 */
@Injectable()
export class QuotaMirror extends RedisHashSource implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @InjectRepository(TenantEntity) private readonly tenants: Repository<TenantEntity>,
    @InjectRepository(ModelEntity) private readonly models: Repository<ModelEntity>,
    @Inject(REGISTRY_REDIS) redis: Redis,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
  ) {
    super(redis, quotasKey(config.prefix), quotasChangedChannel(config.prefix));
  }

  onApplicationBootstrap(): Promise<void> {
    return this.start();
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  protected async held(): Promise<number> {
    return (await this.tenants.count({ where: { quota: Not(IsNull()) } })) + (await this.models.count({ where: { quota: Not(IsNull()) } }));
  }

  protected async rewrite(): Promise<void> {
    const tenants = await this.tenants.find({ where: { quota: Not(IsNull()) } });
    const models = await this.models.find({ where: { quota: Not(IsNull()) } });
    const records = [
      ...tenants.map((t) => ({ field: tenantQuotaField(t.id), parsed: TenantQuotaRecordSchema.safeParse(t.quota) })),
      ...models.map((m) => ({ field: modelQuotaField(m.tenantId, m.name), parsed: ModelQuotaRecordSchema.safeParse(m.quota) })),
    ];
    const multi = this.redis.multi().del(this.key);
    for (const { field, parsed } of records) {
      // A row edited by hand into something that is not a quota is left out, not a failed boot.
      if (parsed.success) multi.hset(this.key, field, JSON.stringify(parsed.data));
      else this.logger.warn({ field }, `quota record not mirrored: ${parsed.error.message}`);
    }
    await multi.publish(this.channel, '*').exec();
    this.logger.log({ tenants: tenants.length, models: models.length }, 'quota records mirrored');
  }

  setTenant(tenantId: string, quota: TenantQuotaRecord): Promise<void> {
    return this.write(tenantQuotaField(tenantId), TenantQuotaRecordSchema.parse(quota));
  }

  setModel(tenantId: string, model: string, quota: ModelQuotaRecord): Promise<void> {
    return this.write(modelQuotaField(tenantId, model), ModelQuotaRecordSchema.parse(quota));
  }

  removeTenant(tenantId: string): Promise<void> {
    return this.write(tenantQuotaField(tenantId), null);
  }

  removeModel(tenantId: string, model: string): Promise<void> {
    return this.write(modelQuotaField(tenantId, model), null);
  }

  private async write(field: string, record: object | null): Promise<void> {
    const multi = this.redis.multi();
    if (record) multi.hset(this.key, field, JSON.stringify(record));
    else multi.hdel(this.key, field);
    await multi.publish(this.channel, field).exec();
  }
}
