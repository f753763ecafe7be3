import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TTL_MS, poolWorkersKey, workerHeartbeatKey, type WorkerHeartbeat } from '@falaj/contracts';

/** Beats every second: the gateway reads model readiness, the router load, from these. */
export class HeartbeatPublisher {
  private readonly logger = new Logger(HeartbeatPublisher.name);
  private timer?: NodeJS.Timeout;
  private failing = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly snapshot: () => Omit<WorkerHeartbeat, 'sentAt'>,
  ) {}

  start(): void {
    void this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
    this.timer.unref();
  }

  /** Leaves the pool at once rather than waiting for the heartbeat to expire. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    const { workerId, pool } = this.snapshot();
    await this.redis
      .multi()
      .zrem(poolWorkersKey(this.prefix, pool), workerId)
      .del(workerHeartbeatKey(this.prefix, workerId))
      .exec()
      .catch(() => undefined);
  }

  private async beat(): Promise<void> {
    const heartbeat: WorkerHeartbeat = { ...this.snapshot(), sentAt: Date.now() };
    const pool = poolWorkersKey(this.prefix, heartbeat.pool);
    try {
      await this.redis
        .multi()
        .set(workerHeartbeatKey(this.prefix, heartbeat.workerId), JSON.stringify(heartbeat), 'PX', HEARTBEAT_TTL_MS)
        .zadd(pool, heartbeat.sentAt, heartbeat.workerId)
        .zremrangebyscore(pool, 0, heartbeat.sentAt - HEARTBEAT_TTL_MS)
        .exec();
      if (this.failing) this.logger.log('heartbeats flowing again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.logger.warn(`heartbeat failed: ${(error as Error).message}`);
      this.failing = true;
    }
  }
}
