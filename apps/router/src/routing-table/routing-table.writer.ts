import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { MIRRORED_HASH_PRESENT_FIELD, routingChangedChannel, routingTableKey, type RouteEntry } from '@falaj/contracts';
import { ROUTER_CONFIG, type RouterConfig } from '../router.config';

export const ROUTER_REDIS = Symbol('ROUTER_REDIS');

/**
 * How often the router checks that Redis still holds the whole table (one HKEYS of a small hash);
 * also at once on every reconnection, which is when a restarted Redis comes back empty.
 */
const REASSERT_EVERY_MS = 1000;

/**
 * The router owns the table: one Redis hash, a field per model, announced on change. It keeps
 * the table in memory too (the state its lifecycle replay arrived at) and writes it back whole if
 * Redis lost it (a flush, a restart), with MIRRORED_HASH_PRESENT_FIELD: gateways read a table
 * without that field as lost — they keep their last view and answer a miss 503, not 404 — so the
 * field is written only by the whole write-back, never by a single change that lands on a lost table.
 */
@Injectable()
export class RoutingTableWriter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RoutingTableWriter.name);
  private readonly routes = new Map<string, RouteEntry>();
  private timer?: NodeJS.Timeout;
  private reasserting = false;

  constructor(
    @Inject(ROUTER_REDIS) private readonly redis: Redis,
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.reassert(), REASSERT_EVERY_MS);
    this.timer.unref();
    this.redis.on('ready', this.onReady);
    // At once, so gateways find the table present (a miss a 404, not a 503) as soon as a router is up.
    void this.reassert();
  }

  private readonly onReady = (): void => void this.reassert();

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
    if (this.reasserting) return;
    this.reasserting = true;
    try {
      const key = routingTableKey(this.config.prefix);
      const present = new Set(await this.redis.hkeys(key));
      // Only this router's own fields: with several routers, each owns its partitions' models.
      const missing = [...this.routes].filter(([field]) => !present.has(field));
      const marked = present.has(MIRRORED_HASH_PRESENT_FIELD);
      if (missing.length === 0 && marked) return;
      const multi = this.redis.multi();
      for (const [field, route] of missing) multi.hset(key, field, JSON.stringify(route));
      multi.hset(key, MIRRORED_HASH_PRESENT_FIELD, '1');
      await multi.publish(routingChangedChannel(this.config.prefix), '*').exec();
      if (present.size > 0 || missing.length > 0) this.logger.warn({ restored: missing.length, hadTable: present.size > 0 }, 'routes missing from Redis: written back');
    } catch (error) {
      this.logger.warn(`routing table check failed: ${(error as Error).message}`);
    } finally {
      this.reasserting = false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.redis.off('ready', this.onReady);
    await this.redis.quit().catch(() => undefined);
  }
}
