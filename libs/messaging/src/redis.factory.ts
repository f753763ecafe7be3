import { Logger } from '@nestjs/common';
import Redis from 'ioredis';

export interface RedisOptions {
  /**
   * Commands issued in one event-loop turn leave in one socket write (ioredis auto-pipelining).
   * For hot-path connections that many concurrent requests share: a write per command was the
   * gateway's largest single cost under load. Never on a connection that blocks (XREADGROUP
   * BLOCK) or subscribes.
   */
  autoPipelining?: boolean;
  /** BullMQ blocks on its connections: they must not give up on a command while Redis restarts. */
  retryForever?: boolean;
}

/**
 * Where an app's Redis is and who the app is there. `rediss://` is TLS, verified against `ca`
 * (PEM; the system's CAs without it); `username`/`password` are the app's ACL user. The URL
 * carries neither (the config refuses one that does), so no URL in a log or error holds a secret.
 */
export interface RedisEndpoint {
  url: string;
  username?: string;
  password?: string;
  ca?: string;
}

/** The ioredis options of an endpoint: credentials and TLS, nothing else. */
export function redisConnectionOptions(endpoint: RedisEndpoint): { username?: string; password?: string; tls?: { ca?: string } } {
  return {
    ...(endpoint.username ? { username: endpoint.username } : {}),
    ...(endpoint.password ? { password: endpoint.password } : {}),
    ...(/^rediss:/i.test(endpoint.url) ? { tls: endpoint.ca ? { ca: endpoint.ca } : {} } : {}),
  };
}

/** One Redis connection; blocking readers and subscribers need their own, so call once per use. */
export function createRedis(endpoint: RedisEndpoint, name: string, options: RedisOptions = {}): Redis {
  const logger = new Logger(`redis:${name}`);
  const redis = new Redis(endpoint.url, {
    ...redisConnectionOptions(endpoint),
    connectionName: name,
    maxRetriesPerRequest: options.retryForever ? null : 3,
    enableAutoPipelining: options.autoPipelining ?? false,
  });
  let lastError = '';
  redis.on('error', (error: Error) => {
    // ioredis retries on its own; log each distinct failure once rather than every retry.
    if (error.message !== lastError) logger.warn(`redis error: ${error.message}`);
    lastError = error.message;
  });
  redis.on('ready', () => (lastError = ''));
  return redis;
}

/**
 * Subscribes once the connection is ready. A SUBSCRIBE issued while ioredis is still connecting
 * races its ready check (INFO, refused in subscriber mode), and the reconnect that follows drops
 * whatever was published meanwhile.
 */
export async function subscribeWhenReady(redis: Redis, ...channels: string[]): Promise<void> {
  if (redis.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', resolve);
      redis.once('end', () => reject(new Error('redis connection ended before it was ready')));
    });
  }
  await redis.subscribe(...channels);
}
