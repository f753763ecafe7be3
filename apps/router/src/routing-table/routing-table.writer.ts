import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { routingChangedChannel, routingTableKey, type RouteEntry } from '@falaj/contracts';
import { routeField } from '@falaj/routing';
import { ROUTER_CONFIG, type RouterConfig } from '../router.config';

export const ROUTER_REDIS = Symbol('ROUTER_REDIS');

/** The router owns the table: one Redis hash, a field per model, announced on change. */
@Injectable()
export class RoutingTableWriter implements OnApplicationShutdown {
  constructor(
    @Inject(ROUTER_REDIS) private readonly redis: Redis,
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
  ) {}

  async put(route: RouteEntry): Promise<void> {
    await this.redis
      .multi()
      .hset(routingTableKey(this.config.prefix), routeField(route.tenantId, route.model), JSON.stringify(route))
      .publish(routingChangedChannel(this.config.prefix), routeField(route.tenantId, route.model))
      .exec();
  }

  async remove(tenantId: string, model: string): Promise<void> {
    await this.redis
      .multi()
      .hdel(routingTableKey(this.config.prefix), routeField(tenantId, model))
      .publish(routingChangedChannel(this.config.prefix), routeField(tenantId, model))
      .exec();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
