import { Registry, collectDefaultMetrics, type Histogram, type LabelValues } from 'prom-client';
import { limitRefusalsRegistry, openMetricsRegistry } from '@falaj/http';

/**
 * The one Prometheus registry of an app: Node's process metrics (prom-client's defaults: CPU,
 * memory, event-loop lag, GC, handles) and every metric the app and its libs declare. `/metrics`
 * serves it together with the limit refusals counted by @falaj/http.
 */
export class AppMetrics {
  /** OpenMetrics: prom-client keeps exemplars only in such a registry; a scrape may still ask for Prometheus text. */
  readonly registry = openMetricsRegistry();

  constructor(readonly app: string) {
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * The scrape, in OpenMetrics 1.0 — the format that carries exemplars (a histogram bucket's
   * latest traced observation and its trace id), and the one Prometheus asks for first. Only
   * this one format is served: prom-client renames a counter in place (drops `_total` from its
   * name) the first time it renders OpenMetrics, so the same metrics cannot also be rendered
   * as Prometheus text 0.0.4 afterwards.
   */
  async text(): Promise<string> {
    return Registry.merge([this.registry, limitRefusalsRegistry]).metrics();
  }
}

export const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;

/**
 * One observation of a traced call, with its exemplar: the trace id under Grafana's and
 * OpenTelemetry's label name `trace_id`. Only calls in the sample carry one (an exemplar must
 * name a trace the backend holds); the others are observed through their bound child.
 */
export function observeTraced<T extends string>(histogram: Histogram<T>, labels: LabelValues<T>, value: number, traceId: string): void {
  histogram.observe({ labels, value, exemplarLabels: { trace_id: traceId } as LabelValues<T> });
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
