import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { HEARTBEAT_TTL_MS, WorkerHeartbeatSchema, poolWorkersKey, workerHeartbeatKey, type WorkerHeartbeat } from '@falaj/contracts';
import { REGISTRY_CONFIG, REGISTRY_REDIS, type RegistryConfig } from '../registry.config';

/** Every live worker's latest heartbeat, from Redis (an operator's read, off any hot path). */
@Injectable()
export class WorkerHeartbeatsReader {
  constructor(
    @Inject(REGISTRY_REDIS) private readonly redis: Redis,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  async live(): Promise<WorkerHeartbeat[]> {
    const pools = await this.scan(poolWorkersKey(this.config.prefix, '*'));
    const cutoff = Date.now() - HEARTBEAT_TTL_MS;
    const ids = new Set<string>();
    for (const pool of pools) for (const id of await this.redis.zrangebyscore(pool, cutoff, '+inf')) ids.add(id);
    if (ids.size === 0) return [];
    const raw = await this.redis.mget([...ids].map((id) => workerHeartbeatKey(this.config.prefix, id)));
    return raw.flatMap((json) => {
      if (!json) return [];
      const parsed = WorkerHeartbeatSchema.safeParse(JSON.parse(json));
      return parsed.success && parsed.data.sentAt >= cutoff ? [parsed.data] : [];
    });
  }

  private async scan(pattern: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  }
}
