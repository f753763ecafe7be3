import { Counter } from 'prom-client';
import { limitOf, type LimitName } from '@falaj/contracts';
import { openMetricsRegistry } from './open-metrics-registry';

/**
 * `falaj_limit_refusals_total{limit}`: every refusal for a named limit, in the app that refused
 * it. One counter per process, counted where each protocol turns an error into its answer (the
 * HTTP filter, gRPC's status mapping, the streaming bridge's response), so no route can refuse
 * for a limit without it showing; each app's /metrics serves this registry beside its own.
 */
// OpenMetrics, as the app registry it is merged with (AppMetrics): a scrape still chooses its own format.
export const limitRefusalsRegistry = openMetricsRegistry();

const refusals = new Counter({
  name: 'falaj_limit_refusals_total',
  help: 'Requests refused for a named platform limit, by the limit (see docs/configuration.md#every-named-limit)',
  labelNames: ['limit'] as const,
  registers: [limitRefusalsRegistry],
});

/** Counts `error` when it refuses for a named limit; returns that limit (undefined for any other error). */
export function countLimitRefusal(error: unknown): LimitName | undefined {
  const limit = limitOf(error) ?? fastifyLimitOf(error);
  if (limit !== undefined) refusals.inc({ limit });
  return limit;
}

/** Counts a refusal the code saw without an error object (grpc-js' own size check, say). */
export function countLimit(limit: LimitName): void {
  refusals.inc({ limit });
}

/** The refusals alone, as a scrape would show them (AppMetrics merges them with the app's own). */
export async function metricsWithLimits(): Promise<string> {
  return limitRefusalsRegistry.metrics();
}

/** Fastify's own body limit (`bodyLimit`, counted after inflation): the request-bytes limit. */
function fastifyLimitOf(error: unknown): LimitName | undefined {
  return (error as { code?: unknown } | null | undefined)?.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'request_bytes' : undefined;
}
