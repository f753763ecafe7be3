import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { quotaBucketKey } from '@falaj/contracts';
import { bucketsFor, type QuotaConfig } from './quota.config';
import { TOKEN_BUCKET_LUA } from './token-bucket.lua';

type BucketRedis = Redis & { takeTokens(keys: number, ...args: (string | number)[]): Promise<number> };

/**
 * The per-tenant and per-model token buckets every entry point (gateway, streaming bridge)
 * draws from: one atomic Lua script, so all instances share one budget.
 */
export class TokenBuckets {
  private readonly logger = new Logger(TokenBuckets.name);
  private readonly redis: BucketRedis;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    /** The quotas in force, read per request: a change applies to the next one (QuotaReader). */
    private readonly config: () => QuotaConfig,
  ) {
    this.redis = redis as BucketRedis;
    this.redis.defineCommand('takeTokens', { lua: TOKEN_BUCKET_LUA });
  }

  /** 0 when the request may go, else the milliseconds until it could. */
  async take(tenantId: string, model: string): Promise<number> {
    const buckets = bucketsFor(this.config(), tenantId, model);
    if (buckets.length === 0) return 0;
    try {
      return await this.redis.takeTokens(buckets.length, ...buckets.map((b) => quotaBucketKey(this.prefix, b.key)), ...buckets.flatMap((b) => [b.bucket.rps, b.bucket.burst]));
    } catch (error) {
      // Redis away: serve rather than refuse everyone; the quota is a guard, not the service.
      this.logger.warn({ tenant: tenantId, model }, `quota check skipped: ${(error as Error).message}`);
      return 0;
    }
  }
}
