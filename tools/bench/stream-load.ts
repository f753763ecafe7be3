import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { DispatchRequest } from '@falaj/contracts';
import { PoolDispatcher } from '@falaj/dispatch';
import { redisConnectionOptions, type RedisEndpoint } from '@falaj/messaging';
import { summarize } from './percentiles';
import type { LoadResult } from './http-load';

/**
 * Load straight into a pool's Redis stream, as a gateway with no HTTP and no decoding would send
 * it — through the gateway's own PoolDispatcher (the budget's enqueue script, the reply stream
 * read and deleted as it goes): `concurrency` callers each keep one request in flight. It
 * measures the worker and Redis alone — the most any protocol in front of them can reach.
 */
export async function streamLoad(
  endpoint: RedisEndpoint,
  prefix: string,
  pool: string,
  template: Omit<DispatchRequest, 'dispatchId' | 'requestId' | 'replyTo' | 'deadline'>,
  concurrency: number,
  seconds: number,
): Promise<LoadResult> {
  const me = `bench-${randomBytes(3).toString('hex')}`;
  const redis = new Redis(endpoint.url, { ...redisConnectionOptions(endpoint), enableAutoPipelining: true });
  const dispatcher = new PoolDispatcher(redis, new Redis(endpoint.url, redisConnectionOptions(endpoint)), prefix, me);
  await dispatcher.start();
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  let n = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          const ok = await dispatcher.dispatch(pool, { ...template, requestId: `${me}-${n++}`, deadline: Date.now() + 30_000 }, 30_000).then(
            (reply) => reply.ok,
            () => false,
          );
          if (ok) latencies.push(performance.now() - t);
          else failed++;
        }
      }),
    );
  } finally {
    await dispatcher.stop();
    redis.disconnect();
  }
  return { ...summarize(latencies, latencies.length, (performance.now() - started) / 1000), errors: failed, non2xx: 0 };
}
