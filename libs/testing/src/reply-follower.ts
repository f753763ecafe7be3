import Redis from 'ioredis';
import { decodeReplyEntry, replyStreamKey, type DispatchReply } from '@falaj/contracts';
import { openReplyStream, redisConnectionOptions, type RedisEndpoint } from '@falaj/messaging';

/**
 * Reads the reply stream of `replyTo` as a gateway's dispatcher does (makes it, XREAD BLOCK, each
 * entry deleted once read) and hands each reply to `onReply`, for tests that talk to a pool's
 * stream directly. Await `ready` before sending: workers add only to a reply stream that exists.
 * `stop()` ends the read and closes its connection.
 */
export function followReplies(redis: string | RedisEndpoint, prefix: string, replyTo: string, onReply: (reply: DispatchReply) => void): { ready: Promise<void>; stop(): Promise<void> } {
  const endpoint = typeof redis === 'string' ? { url: redis } : redis;
  const reader = new Redis(endpoint.url, redisConnectionOptions(endpoint));
  const stream = replyStreamKey(prefix, replyTo);
  let running = true;
  const ready = (async () => {
    await openReplyStream(reader, stream);
  })();
  const done = (async () => {
    await ready.catch(() => undefined);
    let lastId = '0-0';
    while (running) {
      try {
        const result = (await reader.callBuffer('XREAD', 'COUNT', 64, 'BLOCK', 500, 'STREAMS', stream, lastId)) as [Buffer, [Buffer, Buffer[]][]][] | null;
        for (const [, entries] of result ?? []) {
          for (const [id, fields] of entries) {
            lastId = id.toString();
            onReply(decodeReplyEntry(fields));
          }
          if (entries.length > 0) await reader.xdel(stream, ...entries.map(([id]) => id));
        }
      } catch {
        if (!running) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  })();
  return {
    ready,
    stop: async () => {
      running = false;
      reader.disconnect();
      await done;
    },
  };
}
