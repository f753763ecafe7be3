import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { createRedis } from '@falaj/messaging';
import { Admission, QuotaReader, TokenBuckets, concurrencyFor } from '@falaj/routing';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';

/**
 * Admission before dispatch: per-tenant and per-model token buckets shared by every gateway
 * (and the streaming bridge), and a per-gateway limit on a tenant's requests in flight. The
 * quotas are `FALAJ_QUOTAS` with the registry's records over it, followed as they change.
 */
@Injectable()
export class QuotaService implements OnModuleInit, OnApplicationShutdown {
  private readonly redis: Redis;
  private readonly quotas: QuotaReader;
  private readonly buckets: TokenBuckets;
  private readonly admission: Admission;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.redis = createRedis(config.redis, `${config.gatewayId}:quota`);
    this.quotas = new QuotaReader(this.redis, createRedis(config.redis, `${config.gatewayId}:quotas`), config.prefix, config.quotas);
    this.buckets = new TokenBuckets(this.redis, config.prefix, this.quotas.current);
    // The gateway adds the tenant's in-flight limit, counted per gateway instance.
    this.admission = new Admission({ take: (tenantId, model) => this.buckets.take(tenantId, model), concurrency: (tenantId) => concurrencyFor(this.quotas.current(), tenantId) });
  }

  async onModuleInit(): Promise<void> {
    await this.quotas.start();
  }

  /** Admits the request or throws a 429 (the shared Admission); the returned function ends its in-flight slot. */
  admit(tenantId: string, model: string): Promise<() => void> {
    return this.admission.admit(tenantId, model);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.quotas.stop();
    await this.redis.quit().catch(() => undefined);
  }
}
