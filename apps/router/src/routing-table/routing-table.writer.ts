import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { routingChangedChannel, routingTableKey, type RouteEntry } from '@falaj/contracts';
import { routeField } from '@falaj/routing';
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

  async put(route: RouteEntry): Promise<void> {
    this.routes.set(routeField(route.tenantId, route.model), route);
    await this.redis
      .multi()
      .hset(routingTableKey(this.config.prefix), routeField(route.tenantId, route.model), JSON.stringify(route))
      .publish(routingChangedChannel(this.config.prefix), routeField(route.tenantId, route.model))
      .exec();
  }

  async remove(tenantId: string, model: string): Promise<void> {
    this.routes.delete(routeField(tenantId, model));
    await this.redis
      .multi()
      .hdel(routingTableKey(this.config.prefix), routeField(tenantId, model))
      .publish(routingChangedChannel(this.config.prefix), routeField(tenantId, model))
      .exec();
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
