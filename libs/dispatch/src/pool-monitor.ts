import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { readyModel } from '@falaj/routing';
import { HEARTBEAT_TTL_MS, WorkerHeartbeatSchema, poolWorkersKey, workerHeartbeatKey, type WorkerHeartbeat } from '@falaj/contracts';

/**
 * The live workers of each pool the gateway routes to, from their heartbeats, refreshed every
 * second off the request path. It answers "is this version ready anywhere in the pool?".
 */
export class PoolMonitor {
  private readonly logger = new Logger(PoolMonitor.name);
  private workers = new Map<string, WorkerHeartbeat[]>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly pools: () => Iterable<string>,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  live(pool: string): WorkerHeartbeat[] {
    const cutoff = Date.now() - HEARTBEAT_TTL_MS;
    return (this.workers.get(pool) ?? []).filter((w) => w.sentAt >= cutoff);
  }

  isReady(pool: string, tenantId: string, model: string, version: number): boolean {
    return this.live(pool).some((w) => readyModel(w, tenantId, model, version) !== undefined);
  }

  async refresh(extraPools: Iterable<string> = []): Promise<void> {
    const next = new Map<string, WorkerHeartbeat[]>();
    try {
      for (const pool of new Set([...this.pools(), ...extraPools])) {
        const ids = await this.redis.zrangebyscore(poolWorkersKey(this.prefix, pool), Date.now() - HEARTBEAT_TTL_MS, '+inf');
        if (ids.length === 0) {
          next.set(pool, []);
          continue;
        }
        const beats = await this.redis.mget(ids.map((id) => workerHeartbeatKey(this.prefix, id)));
        next.set(
          pool,
          beats.flatMap((raw) => {
            const parsed = raw ? WorkerHeartbeatSchema.safeParse(JSON.parse(raw)) : null;
            return parsed?.success ? [parsed.data] : [];
          }),
        );
      }
      this.workers = next;
    } catch (error) {
      this.logger.warn(`pool refresh failed: ${(error as Error).message}`);
    }
  }
}
