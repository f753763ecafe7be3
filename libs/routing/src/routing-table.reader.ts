import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { RouteEntrySchema, routingChangedChannel, routingTableKey, type RouteEntry } from '@falaj/contracts';
import { subscribeWhenReady } from '@falaj/messaging';
import { routeField } from './route-key';

/**
 * The gateway's in-memory copy of the router's table. Loaded whole at start, reloaded when the
 * router announces a change and every few seconds in case an announcement was missed, so a
 * request never waits on Redis to find its route.
 */
export class RoutingTableReader {
  private readonly logger = new Logger(RoutingTableReader.name);
  private routes = new Map<string, RouteEntry>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
    private readonly refreshMs = 5000,
  ) {}

  async start(): Promise<void> {
    await this.reload();
    await subscribeWhenReady(this.subscriber, routingChangedChannel(this.prefix));
    this.subscriber.on('message', () => void this.reload());
    this.timer = setInterval(() => void this.reload(), this.refreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.subscriber.quit().catch(() => undefined);
  }

  lookup(tenantId: string, model: string): RouteEntry | undefined {
    return this.routes.get(routeField(tenantId, model));
  }

  all(): IterableIterator<RouteEntry> {
    return this.routes.values();
  }

  get size(): number {
    return this.routes.size;
  }

  async reload(): Promise<void> {
    try {
      const raw = await this.redis.hgetall(routingTableKey(this.prefix));
      const next = new Map<string, RouteEntry>();
      for (const [field, json] of Object.entries(raw)) {
        const parsed = RouteEntrySchema.safeParse(safeJson(json));
        if (parsed.success) next.set(field, parsed.data);
        else this.logger.warn({ field }, 'ignoring a malformed route');
      }
      this.routes = next;
    } catch (error) {
      // Keep serving the last good table; Redis being away must not empty the routes.
      this.logger.warn(`routing table reload failed: ${(error as Error).message}`);
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
