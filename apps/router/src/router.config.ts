import { z } from 'zod';
import { commonEnv, envPort, envRegion, loadEnv } from '@falaj/config';

const schema = z.object({
  ...commonEnv,
  FALAJ_ROUTER_PORT: envPort(8082),
  /** Region whose CPU pool serves production versions until deployments say otherwise. */
  FALAJ_DEFAULT_REGION: envRegion.default('ae'),
});

export function loadRouterConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = loadEnv('router', schema, env);
  return {
    prefix: e.FALAJ_PREFIX,
    http: { host: e.FALAJ_HOST, port: e.FALAJ_ROUTER_PORT },
    logLevel: e.FALAJ_LOG_LEVEL,
    jwtSecret: e.FALAJ_JWT_SECRET,
    kafka: { brokers: e.FALAJ_KAFKA_BROKERS },
    redisUrl: e.FALAJ_REDIS_URL,
    defaultRegion: e.FALAJ_DEFAULT_REGION,
  };
}
export type RouterConfig = ReturnType<typeof loadRouterConfig>;
export const ROUTER_CONFIG = Symbol('ROUTER_CONFIG');
