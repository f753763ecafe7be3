import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { createRedis } from '@falaj/messaging';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { bucketsFor, concurrencyFor } from './quota.config';
import { QuotaError } from './quota.error';
import { TOKEN_BUCKET_LUA } from './token-bucket.lua';

type BucketRedis = Redis & { takeTokens(keys: number, ...args: (string | number)[]): Promise<number> };

/**
 * Admission before dispatch: per-tenant and per-model token buckets, shared by every gateway
 * through one atomic Lua script, and a per-gateway limit on a tenant's requests in flight.
 */
@Injectable()
export class QuotaService implements OnApplicationShutdown {
  private readonly logger = new Logger(QuotaService.name);
  private readonly redis: BucketRedis;
  private readonly inFlight = new Map<string, number>();

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.redis = createRedis(config.redisUrl, `${config.gatewayId}:quota`) as BucketRedis;
    this.redis.defineCommand('takeTokens', { lua: TOKEN_BUCKET_LUA });
  }

  /** Admits the request or throws a 429; the returned function ends its in-flight slot. */
  async admit(tenantId: string, model: string): Promise<() => void> {
    const buckets = bucketsFor(this.config.quotas, tenantId, model);
    if (buckets.length > 0) {
      let waitMs = 0;
      try {
        waitMs = await this.redis.takeTokens(
          buckets.length,
          ...buckets.map((b) => `${this.config.prefix}:quota:v1:${b.key}`),
          ...buckets.flatMap((b) => [b.bucket.rps, b.bucket.burst]),
        );
      } catch (error) {
        // Redis away: serve rather than refuse everyone; the quota is a guard, not the service.
        this.logger.warn({ tenant: tenantId, model }, `quota check skipped: ${(error as Error).message}`);
      }
      if (waitMs > 0) throw new QuotaError(429, `rate limit exceeded for tenant '${tenantId}' on model '${model}'`, waitMs / 1000);
    }
    const limit = concurrencyFor(this.config.quotas, tenantId);
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
    await this.redis.quit().catch(() => undefined);
  }
}
