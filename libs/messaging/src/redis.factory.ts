import { Logger } from '@nestjs/common';
import Redis from 'ioredis';

/** One Redis connection; blocking readers and subscribers need their own, so call once per use. */
export function createRedis(url: string, name: string): Redis {
  const logger = new Logger(`redis:${name}`);
  const redis = new Redis(url, { connectionName: name, maxRetriesPerRequest: 3, enableAutoPipelining: false });
  let lastError = '';
  redis.on('error', (error: Error) => {
    // ioredis retries on its own; log each distinct failure once rather than every retry.
    if (error.message !== lastError) logger.warn(`redis error: ${error.message}`);
    lastError = error.message;
  });
  redis.on('ready', () => (lastError = ''));
  return redis;
}
