import autocannon from 'autocannon';
import { summarize, type Measured } from './percentiles';

export interface LoadResult extends Measured {
  errors: number;
  non2xx: number;
}

/**
 * Closed-loop load with autocannon: `connections` clients each keep one request in flight for
 * `seconds`. Latencies are taken from autocannon's per-response times (sub-millisecond), not its
 * histogram (whole milliseconds), so a 0.3 ms difference is visible.
 */
export async function load(url: string, connections: number, seconds: number, body: string | Buffer, headers: Record<string, string>): Promise<LoadResult> {
  const latencies: number[] = [];
  const instance = autocannon({ url, connections, duration: seconds, method: 'POST', headers, body, timeout: 30 });
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const result = await instance;
  return { ...summarize(latencies, latencies.length, result.duration || seconds), errors: result.errors + result.timeouts, non2xx: result.non2xx };
}
