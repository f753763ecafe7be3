import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { decodeReply, encodeDispatchEntry, poolStreamKey, replyChannel, type DispatchRequest } from '@falaj/contracts';
import { subscribeWhenReady } from '@falaj/messaging';
import { summarize } from './percentiles';
import type { LoadResult } from './http-load';

/**
 * Load straight into a pool's Redis stream, as a gateway with no HTTP and no decoding would send
 * it: `concurrency` callers each keep one request in flight. It measures the worker and Redis
 * alone — the most any protocol in front of them can reach.
 */
export async function streamLoad(
  redisUrl: string,
  prefix: string,
  pool: string,
  template: Omit<DispatchRequest, 'requestId' | 'replyTo' | 'deadline'>,
  concurrency: number,
  seconds: number,
): Promise<LoadResult> {
  const me = `bench-${randomBytes(3).toString('hex')}`;
  const redis = new Redis(redisUrl);
  const subscriber = new Redis(redisUrl);
  const waiting = new Map<string, () => void>();
  subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => {
    const reply = decodeReply(message);
    waiting.get(reply.requestId)?.();
  });
  await subscribeWhenReady(subscriber, replyChannel(prefix, me));
  const stream = poolStreamKey(prefix, pool);
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  let n = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const requestId = `${me}-${n++}`;
          const t = performance.now();
          const answered = new Promise<void>((resolve) => waiting.set(requestId, resolve));
          await redis.xadd(stream, '*', ...encodeDispatchEntry({ ...template, requestId, replyTo: me, deadline: Date.now() + 30_000 }));
          const ok = await Promise.race([answered.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000).unref())]);
          waiting.delete(requestId);
          if (ok) latencies.push(performance.now() - t);
          else failed++;
        }
      }),
    );
  } finally {
    redis.disconnect();
    subscriber.disconnect();
  }
  return { ...summarize(latencies, latencies.length, (performance.now() - started) / 1000), errors: failed, non2xx: 0 };
}
