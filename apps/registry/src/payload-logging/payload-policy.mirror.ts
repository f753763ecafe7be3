import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { modelPayloadField, payloadPoliciesChangedChannel, payloadPoliciesKey, tenantPayloadField, type PayloadLogging } from '@falaj/contracts';
import { RedisHashWriter } from '@falaj/messaging';
import { CatalogReader } from '../catalog';
import { REGISTRY_CONFIG, REGISTRY_REDIS, type RegistryConfig } from '../registry.config';
import { TenantRecords } from '../tenants/tenant-records';

/**
 * The payload policies' copy in Redis, which every edge (the gateway, the router's Kafka bridge)
 * follows in memory (PayloadRecorder): a field per tenant or model whose policy is not `none`,
 * every change announced. Postgres is the truth; the hash is rewritten from it at boot and
 * whenever it is found missing (RedisHashWriter). A tenant absent from the hash is `none`: a lost
 * hash logs less for a few seconds, never more.
 */
@Injectable()
export class PayloadPolicyMirror extends RedisHashWriter implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly tenants: TenantRecords,
    private readonly catalog: CatalogReader,
    @Inject(REGISTRY_REDIS) redis: Redis,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
  ) {
    super(redis, payloadPoliciesKey(config.prefix), payloadPoliciesChangedChannel(config.prefix));
  }

  onApplicationBootstrap(): Promise<void> {
    return this.start();
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  protected async records(): Promise<[string, string][]> {
    const tenants = await this.tenants.payloadPolicies();
    const models = await this.catalog.modelPayloadPolicies();
    return [...tenants.map((t): [string, string] => [tenantPayloadField(t.id), t.payloadLogging]), ...models.map((m): [string, string] => [modelPayloadField(m.tenantId, m.name), m.payloadLogging])];
  }

  /** A tenant's policy: `none` is the absence of a field. */
  setTenant(tenantId: string, policy: PayloadLogging): Promise<void> {
    return this.write(tenantPayloadField(tenantId), policy === 'none' ? null : policy);
  }

  /** A model's override; null: none, the tenant's applies (a model's `none` is kept: it overrides). */
  setModel(tenantId: string, model: string, policy: PayloadLogging | null): Promise<void> {
    return this.write(modelPayloadField(tenantId, model), policy);
  }
}
