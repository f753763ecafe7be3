import { Registry, collectDefaultMetrics } from 'prom-client';
import { limitRefusalsRegistry } from '@falaj/http';

/**
 * The one Prometheus registry of an app: Node's process metrics (prom-client's defaults: CPU,
 * memory, event-loop lag, GC, handles) and every metric the app and its libs declare. `/metrics`
 * serves it together with the limit refusals counted by @falaj/http.
 */
export class AppMetrics {
  readonly registry = new Registry();

  constructor(readonly app: string) {
    collectDefaultMetrics({ register: this.registry });
  }

  async text(): Promise<string> {
    return Registry.merge([this.registry, limitRefusalsRegistry]).metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Latency buckets in seconds, 0.5 ms to 30 s: one set for every latency histogram, so they can be compared. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Requests per execution: powers of two up to the largest batch a version may be given. */
export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** Model loads take seconds to minutes (an artifact download, a warm-up run on each instance). */
export const LOAD_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** `map.get(key)`, or `made` stored under it: lookups that allocate only on the first call. */
export function getOrPut<K, V>(map: Map<K, V>, key: K, made: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = made();
    map.set(key, value);
  }
  return value;
}
