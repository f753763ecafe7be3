import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { routingChangedChannel, routingTableKey, type RouteEntry } from '@falaj/contracts';
import { ROUTER_CONFIG, type RouterConfig } from '../router.config';

export const ROUTER_REDIS = Symbol('ROUTER_REDIS');

/** How often the router checks that Redis still holds the whole table. */
const REASSERT_EVERY_MS = 5000;

/**
 * The router owns the table: one Redis hash, a field per model, announced on change. It keeps
 * the table in memory too and writes it back whole if Redis lost it (a flush, a restart).
 */
@Injectable()
export class RoutingTableWriter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RoutingTableWriter.name);
  private readonly routes = new Map<string, RouteEntry>();
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(ROUTER_REDIS) private readonly redis: Redis,
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.reassert(), REASSERT_EVERY_MS);
    this.timer.unref();
  }

  /**
   * Sets each field's route (null: none) in one MULTI with one announcement, so a gateway reading
   * the hash sees all of it or none of it. A route equal to the one already written is skipped
   * (a replay writes nothing).
   */
  async apply(changes: readonly { field: string; route: RouteEntry | null }[]): Promise<void> {
    const key = routingTableKey(this.config.prefix);
    const multi = this.redis.multi();
    let writes = 0;
    for (const { field, route } of changes) {
      const known = this.routes.get(field);
      if (route === null) {
        this.routes.delete(field);
        multi.hdel(key, field);
      } else {
        if (known && JSON.stringify(known) === JSON.stringify(route)) continue;
        this.routes.set(field, route);
        multi.hset(key, field, JSON.stringify(route));
      }
      writes++;
    }
    if (writes === 0) return;
    await multi.publish(routingChangedChannel(this.config.prefix), changes.length === 1 ? changes[0].field : '*').exec();
  }

  /** Stops keeping fields another router now owns (their partitions moved): Redis keeps them, this router no longer writes them back. */
  forget(fields: Iterable<string>): void {
    for (const field of fields) this.routes.delete(field);
  }

  private async reassert(): Promise<void> {
    try {
      const key = routingTableKey(this.config.prefix);
      const present = new Set(await this.redis.hkeys(key));
      // Only this router's own fields: with several routers, each owns its partitions' models.
      const missing = [...this.routes].filter(([field]) => !present.has(field));
      if (missing.length === 0) return;
      const multi = this.redis.multi();
      for (const [field, route] of missing) multi.hset(key, field, JSON.stringify(route));
      await multi.publish(routingChangedChannel(this.config.prefix), '*').exec();
      this.logger.warn({ restored: missing.length }, 'routes missing from Redis: written back');
    } catch (error) {
      this.logger.warn(`routing table check failed: ${(error as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.quit().catch(() => undefined);
  }
}
