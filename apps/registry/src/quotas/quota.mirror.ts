import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { ModelQuotaRecordSchema, TenantQuotaRecordSchema, modelQuotaField, quotasChangedChannel, quotasKey, tenantQuotaField, type ModelQuotaRecord, type TenantQuotaRecord } from '@falaj/contracts';
import { RedisHashWriter } from '@falaj/messaging';
import { CatalogReader } from '../catalog';
import { REGISTRY_CONFIG, REGISTRY_REDIS, type RegistryConfig } from '../registry.config';
import { TenantRecords } from '../tenants/tenant-records';

/**
 * The quota records' copy in Redis, which the gateways and routers follow (they never call the
 * registry to admit a request): one hash, a field per record, every change announced on the
 * channel. Postgres is the truth; the hash is rewritten whole from it at boot, and again whenever
 * it is found missing while Postgres holds records (RedisHashWriter).
 */
@Injectable()
export class QuotaMirror extends RedisHashWriter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(QuotaMirror.name);

  constructor(
    private readonly tenants: TenantRecords,
    private readonly catalog: CatalogReader,
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

  protected override async worthHealing(): Promise<boolean> {
    return (await this.tenants.countWithQuota()) + (await this.catalog.countModelsWithQuota()) > 0;
  }

  protected async records(): Promise<[string, string][]> {
    const tenants = await this.tenants.withQuota();
    const models = await this.catalog.modelsWithQuota();
    const records = [
      ...tenants.map((t) => ({ field: tenantQuotaField(t.id), parsed: TenantQuotaRecordSchema.safeParse(t.quota) })),
      ...models.map((m) => ({ field: modelQuotaField(m.tenantId, m.name), parsed: ModelQuotaRecordSchema.safeParse(m.quota) })),
    ];
    const fields: [string, string][] = [];
    for (const { field, parsed } of records) {
      // A row edited by hand into something that is not a quota is left out, not a failed boot.
      if (parsed.success) fields.push([field, JSON.stringify(parsed.data)]);
      else this.logger.warn({ field }, `quota record not mirrored: ${parsed.error.message}`);
    }
    this.logger.log({ tenants: tenants.length, models: models.length }, 'quota records mirrored');
    return fields;
  }

  setTenant(tenantId: string, quota: TenantQuotaRecord): Promise<void> {
    return this.write(tenantQuotaField(tenantId), JSON.stringify(TenantQuotaRecordSchema.parse(quota)));
  }

  setModel(tenantId: string, model: string, quota: ModelQuotaRecord): Promise<void> {
    return this.write(modelQuotaField(tenantId, model), JSON.stringify(ModelQuotaRecordSchema.parse(quota)));
  }

  removeTenant(tenantId: string): Promise<void> {
    return this.write(tenantQuotaField(tenantId), null);
  }

  removeModel(tenantId: string, model: string): Promise<void> {
    return this.write(modelQuotaField(tenantId, model), null);
  }
}
