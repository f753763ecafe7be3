import { z } from 'zod';
import { PrefixSchema, RegionSchema } from '@falaj/contracts';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const brokerList = z
  .string()
  .regex(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, 'a comma-separated list of host:port')
  .transform((s) => s.split(','));

/** Variables every app reads; each app's schema extends these. */
export const commonEnv = {
  FALAJ_PREFIX: PrefixSchema.default('falaj'),
  FALAJ_KAFKA_BROKERS: brokerList.default(['127.0.0.1:9092']),
  FALAJ_REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  FALAJ_JWT_SECRET: z.string().min(32, 'must be at least 32 characters'),
  FALAJ_HOST: z.string().min(1).default('127.0.0.1'),
  FALAJ_LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
};

export const envPort = port;
export const envRegion = RegionSchema;
export const envBoolean = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

type CommonEnv = { [K in keyof typeof commonEnv]: z.output<(typeof commonEnv)[K]> };

/** The part of every app's typed configuration that comes from the common variables. */
export function commonConfig(e: CommonEnv) {
  return {
    prefix: e.FALAJ_PREFIX,
    host: e.FALAJ_HOST,
    logLevel: e.FALAJ_LOG_LEVEL,
    jwtSecret: e.FALAJ_JWT_SECRET,
    kafka: { brokers: e.FALAJ_KAFKA_BROKERS },
    redisUrl: e.FALAJ_REDIS_URL,
  };
}
