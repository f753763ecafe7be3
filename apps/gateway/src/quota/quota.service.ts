import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { createRedis } from '@falaj/messaging';
import { QuotaError, QuotaReader, TokenBuckets, concurrencyFor } from '@falaj/routing';
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
  private readonly inFlight = new Map<string, number>();

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.redis = createRedis(config.redisUrl, `${config.gatewayId}:quota`);
    this.quotas = new QuotaReader(this.redis, createRedis(config.redisUrl, `${config.gatewayId}:quotas`), config.prefix, config.quotas);
    this.buckets = new TokenBuckets(this.redis, config.prefix, this.quotas.current);
  }

  async onModuleInit(): Promise<void> {
    await this.quotas.start();
  }

  /** Admits the request or throws a 429; the returned function ends its in-flight slot. */
  async admit(tenantId: string, model: string): Promise<() => void> {
    const waitMs = await this.buckets.take(tenantId, model);
    if (waitMs > 0) throw new QuotaError(429, `rate limit exceeded for tenant '${tenantId}' on model '${model}'`, waitMs / 1000);
    const limit = concurrencyFor(this.quotas.current(), tenantId);
    if (limit === undefined) return () => undefined;
    const current = this.inFlight.get(tenantId) ?? 0;
    if (current >= limit) throw new QuotaError(429, `tenant '${tenantId}' has ${limit} requests in flight, its limit`, 1);
    this.inFlight.set(tenantId, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(tenantId) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(tenantId);
      else this.inFlight.set(tenantId, left);
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.quotas.stop();
    await this.redis.quit().catch(() => undefined);
  }
}
