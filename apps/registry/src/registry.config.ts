import { z } from 'zod';
import { commonConfig, commonEnv, envPort, loadEnv } from '@falaj/config';

const schema = z.object({
  ...commonEnv,
  FALAJ_REGISTRY_PORT: envPort(8081),
  FALAJ_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:5432/falaj'),
  FALAJ_ARTIFACT_DIR: z.string().min(1).default('.local/artifacts'),
  /** Largest model artifact accepted, in bytes (default 2 GiB). */
  FALAJ_MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(2 * 1024 ** 3),
  /** How often active rollouts are judged on their live traffic, in ms. */
  FALAJ_ROLLOUT_TICK_MS: z.coerce.number().int().min(100).max(600_000).default(1000),
});

export function loadRegistryConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = loadEnv('registry', schema, env);
  return {
    ...commonConfig(e),
    http: { host: e.FALAJ_HOST, port: e.FALAJ_REGISTRY_PORT },
    databaseUrl: e.FALAJ_DATABASE_URL,
    artifacts: { dir: e.FALAJ_ARTIFACT_DIR, maxUploadBytes: e.FALAJ_MAX_UPLOAD_BYTES },
    rolloutTickMs: e.FALAJ_ROLLOUT_TICK_MS,
  };
}
export type RegistryConfig = ReturnType<typeof loadRegistryConfig>;
export const REGISTRY_CONFIG = Symbol('REGISTRY_CONFIG');
/** The registry's Redis connection: worker heartbeats (load state) and the API-key mirror. */
export const REGISTRY_REDIS = Symbol('REGISTRY_REDIS');
