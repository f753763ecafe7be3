import { Registry, type OpenMetricsContentType } from 'prom-client';

/**
 * A prom-client registry of the OpenMetrics kind: only such a registry keeps exemplars (a
 * histogram bucket's latest traced observation, with its trace id). A scrape still chooses its
 * format (AppMetrics.text). prom-client's code takes the kind as a constructor argument, its
 * typings do not; this is the one place that bridges them.
 */
export function openMetricsRegistry(): Registry {
  const registry = new Registry() as unknown as Registry<OpenMetricsContentType>;
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry as unknown as Registry;
}
