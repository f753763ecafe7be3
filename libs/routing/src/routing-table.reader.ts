import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { RouteEntrySchema, routingChangedChannel, routingTableKey, type RouteEntry } from '@falaj/contracts';
import { RedisHashMirror } from '@falaj/messaging';
import { routeField } from './route-key';

/**
 * The in-memory copy of the router's table, so a request never waits on Redis to find its route.
 * `present` (RedisHashMirror) is resolveTarget's `tablePresent`: false while Redis holds no table
 * the router wrote, when the last one is kept and a miss is 503, not 404.
 */
export class RoutingTableReader extends RedisHashMirror {
  private readonly logger = new Logger(RoutingTableReader.name);
  private routes = new Map<string, RouteEntry>();

  constructor(redis: Redis, subscriber: Redis, prefix: string, refreshMs = 5000) {
    super(redis, subscriber, routingTableKey(prefix), routingChangedChannel(prefix), refreshMs);
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

  protected apply(fields: Record<string, string>): void {
    const next = new Map<string, RouteEntry>();
    for (const [field, json] of Object.entries(fields)) {
      const parsed = RouteEntrySchema.safeParse(safeJson(json));
      if (parsed.success) next.set(field, parsed.data);
      else this.logger.warn({ field }, 'ignoring a malformed route');
    }
    this.routes = next;
  }

  protected reloadFailed(error: Error): void {
    // Keep serving the last good table; Redis being away must not empty the routes.
    this.logger.warn(`routing table reload failed: ${error.message}`);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
