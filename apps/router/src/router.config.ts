import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { PrefixSchema } from '@falaj/contracts';
import { commonConfig, commonEnv, envPort, envRegion, loadEnv } from '@falaj/config';
import { QuotaEnvSchema } from '@falaj/routing';
import { poolStreamBudgetEnv, poolStreamLimits } from '@falaj/dispatch';

const schema = z.object({
  ...commonEnv,
  FALAJ_ROUTER_PORT: envPort(8082),
  /** Region whose CPU pool serves production versions until deployments say otherwise. */
  FALAJ_DEFAULT_REGION: envRegion.default('ae'),
  /** Identifies this router instance: workers reply on its channel; its Kafka transactions carry it. */
  FALAJ_ROUTER_ID: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{1,100}$/)
    .optional(),
  /** Prefix of the public streaming topics (`<prefix>.inference.requests` …); FALAJ_PREFIX when unset. */
  FALAJ_STREAM_TOPIC_PREFIX: PrefixSchema.optional(),
  /** Streamed requests in flight at once (across keys; one key is always one at a time). */
  FALAJ_STREAM_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(64),
  FALAJ_INFER_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(30_000),
  /**
   * How long a tenant's answered request id is remembered (a copy published again within it is
   * answered once). One Redis key per answered request for the window: it holds rate × window keys.
   */
  FALAJ_STREAM_DEDUPE_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .default(24 * 3600),
  /** The same token buckets as the gateway's (docs/traffic.md), the registry's records over them; streamed requests draw from them too. */
  FALAJ_QUOTAS: QuotaEnvSchema,
  ...poolStreamBudgetEnv,
});

export function loadRouterConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = loadEnv('router', schema, env);
  return {
    ...commonConfig(e, 'router'),
    http: { host: e.FALAJ_HOST, port: e.FALAJ_ROUTER_PORT },
    defaultRegion: e.FALAJ_DEFAULT_REGION,
    routerId: e.FALAJ_ROUTER_ID ?? `router-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    streaming: {
      topicPrefix: e.FALAJ_STREAM_TOPIC_PREFIX ?? e.FALAJ_PREFIX,
      concurrency: e.FALAJ_STREAM_CONCURRENCY,
      inferTimeoutMs: e.FALAJ_INFER_TIMEOUT_MS,
      dedupeWindowSeconds: e.FALAJ_STREAM_DEDUPE_WINDOW_SECONDS,
    },
    quotas: e.FALAJ_QUOTAS,
    poolStreams: poolStreamLimits(e),
  };
}
export type RouterConfig = ReturnType<typeof loadRouterConfig>;
export const ROUTER_CONFIG = Symbol('ROUTER_CONFIG');
