import type Redis from 'ioredis';

/**
 * The soak's census of the stack's Redis keys under its prefix: keys counted by shape (ids,
 * hashes and numbers replaced by `*`), and the entries of every stream, set and hash summed per
 * shape, so that a store that only grows (an answered-set, a stream never trimmed, an
 * idempotency record without a TTL) shows as a slope.
 */
export interface Census {
  keys: Record<string, number>;
  entries: Record<string, number>;
  withoutTtl: Record<string, number>;
  /** The longest TTL left on a key of the shape (seconds): a store with one plateaus at rate × TTL. */
  maxTtl: Record<string, number>;
}

export function shapeOf(key: string, prefix: string): string {
  return key
    .slice(prefix.length)
    .split(':')
    .map((part) => (/^[0-9a-f]{16,}$|^[0-9a-f-]{36}$|^\d+$|^(soak|req|idem)-[\w-]+$/.test(part) || part.length > 40 ? '*' : part))
    .join(':');
}

export async function redisCensus(redis: Redis, prefix: string): Promise<Census> {
  const census: Census = { keys: {}, entries: {}, withoutTtl: {}, maxTtl: {} };
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.type(key).ttl(key);
    const answers = (await pipeline.exec()) ?? [];
    const sizes = redis.pipeline();
    const sized: string[] = [];
    keys.forEach((key, i) => {
      const type = answers[i * 2]?.[1] as string;
      const ttl = answers[i * 2 + 1]?.[1] as number;
      const shape = shapeOf(key, prefix);
      census.keys[shape] = (census.keys[shape] ?? 0) + 1;
      if (ttl === -1) census.withoutTtl[shape] = (census.withoutTtl[shape] ?? 0) + 1;
      else if (ttl > 0) census.maxTtl[shape] = Math.max(census.maxTtl[shape] ?? 0, ttl);
      const size = { stream: 'xlen', set: 'scard', zset: 'zcard', hash: 'hlen', list: 'llen' }[type] as 'xlen' | undefined;
      if (size) {
        sizes[size](key);
        sized.push(shape);
      }
    });
    if (sized.length === 0) continue;
    ((await sizes.exec()) ?? []).forEach(([, n], i) => (census.entries[sized[i]] = (census.entries[sized[i]] ?? 0) + Number(n)));
  } while (cursor !== '0');
  return census;
}
