import { z } from 'zod';
import { loadEnv } from '@falaj/config';

/**
 * Each app's tracing, from its environment. Off by default: FALAJ_TRACE_SAMPLING=0 installs no
 * tracer at all (see Tracing.off). Above 0 it is the share of new traces recorded; a request
 * that arrives with a sampled `traceparent` is recorded whatever the ratio (parent-based), so
 * one trace is whole across apps.
 */
export const tracingEnv = z.object({
  FALAJ_TRACE_SAMPLING: z.coerce.number().min(0).max(1).default(0),
  /** Zipkin's span intake, e.g. http://127.0.0.1:9411/api/v2/spans. */
  FALAJ_TRACE_ZIPKIN_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** The service name spans carry; `falaj-<app>` by default. */
  FALAJ_TRACE_SERVICE_NAME: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{1,100}$/)
    .optional(),
  /** How long finished spans wait before they are sent as one batch. */
  FALAJ_TRACE_EXPORT_DELAY_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
});

export interface TracingConfig {
  /** 0: off. */
  sampling: number;
  zipkinUrl?: string;
  serviceName: string;
  exportDelayMs: number;
}

export function loadTracingConfig(app: string, env: NodeJS.ProcessEnv = process.env): TracingConfig {
  const parsed = loadEnv(app, tracingEnv, env, [
    (e) => (e.FALAJ_TRACE_SAMPLING > 0 && e.FALAJ_TRACE_ZIPKIN_URL === undefined ? ['FALAJ_TRACE_SAMPLING is above 0: FALAJ_TRACE_ZIPKIN_URL must say where spans go'] : []),
  ]);
  return {
    sampling: parsed.FALAJ_TRACE_SAMPLING,
    zipkinUrl: parsed.FALAJ_TRACE_ZIPKIN_URL,
    serviceName: parsed.FALAJ_TRACE_SERVICE_NAME ?? `falaj-${app}`,
    exportDelayMs: parsed.FALAJ_TRACE_EXPORT_DELAY_MS,
  };
}
