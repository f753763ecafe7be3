import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { commonConfig, commonEnv, envPort, loadEnv } from '@falaj/config';
import { poolStreamBudgetEnv, poolStreamLimits } from '@falaj/dispatch';
import { QuotaEnvSchema } from '@falaj/routing';

const schema = z.object({
  ...commonEnv,
  FALAJ_GATEWAY_PORT: envPort(8080),
  /** The OIP gRPC service (inference.GRPCInferenceService), beside REST. */
  FALAJ_GRPC_PORT: envPort(8001),
  /** The gRPC listener's client certificates: none, or require (mTLS). grpc-js cannot check a certificate offered optionally. */
  FALAJ_GRPC_CLIENT_AUTH: z.enum(['none', 'require']).default('none'),
  FALAJ_REGISTRY_URL: z.url({ protocol: /^https?$/ }).default('https://127.0.0.1:8081'),
  /** Identifies this gateway instance: workers reply on its channel. */
  FALAJ_GATEWAY_ID: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{1,100}$/)
    .optional(),
  FALAJ_INFER_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(30_000),
  /** Largest inference request body, in bytes (413 beyond). */
  FALAJ_MAX_REQUEST_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(32 * 1024 * 1024),
  /** Requests one gateway holds at once past admission (503 with Retry-After beyond). */
  FALAJ_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(1_000_000).default(1024),
  /** Of those, one tenant's (503 with Retry-After beyond): one tenant's burst leaves room for the others. */
  FALAJ_MAX_IN_FLIGHT_PER_TENANT: z.coerce.number().int().min(1).default(256),
  /** Decoded request bytes one gateway has in flight to the pools' streams at once (503 with Retry-After beyond). */
  FALAJ_MAX_IN_FLIGHT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(256 * 1024 * 1024),
  /** Token buckets and in-flight limits per tenant and model, as JSON (docs/traffic.md); the registry's quota records override it. */
  FALAJ_QUOTAS: QuotaEnvSchema,
  ...poolStreamBudgetEnv,
  /** How long the first answer to an `Idempotency-Key` is kept for retries (docs/protocols.md#retrying-safely-idempotency-key). */
  FALAJ_IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
  /** Largest answer kept for retries; a larger one is not kept, and its retry is told so (409). */
  FALAJ_IDEMPOTENCY_MAX_ANSWER_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  /** Where audit events wait on disk for Kafka (docs/audit.md#the-audit-spool-durable-never-dropped-silently): one directory per gateway. */
  FALAJ_AUDIT_SPOOL_DIR: z.string().min(1).default('.local/audit-spool'),
  /** The spool's bound; beyond it a must-audit tenant's calls are refused (503), others' events dropped and counted. */
  FALAJ_AUDIT_SPOOL_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .max(4 * 1024 * 1024 * 1024)
    .default(64 * 1024 * 1024),
});

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = loadEnv('gateway', schema, env);
  return {
    ...commonConfig(e, 'gateway'),
    http: { host: e.FALAJ_HOST, port: e.FALAJ_GATEWAY_PORT },
    grpc: { host: e.FALAJ_HOST, port: e.FALAJ_GRPC_PORT, clientAuth: e.FALAJ_GRPC_CLIENT_AUTH },
    registryUrl: e.FALAJ_REGISTRY_URL.replace(/\/$/, ''),
    gatewayId: e.FALAJ_GATEWAY_ID ?? `gateway-${process.pid}-${randomBytes(4).toString('hex')}`,
    inferTimeoutMs: e.FALAJ_INFER_TIMEOUT_MS,
    maxRequestBytes: e.FALAJ_MAX_REQUEST_BYTES,
    quotas: e.FALAJ_QUOTAS,
    poolStreams: poolStreamLimits(e),
    idempotency: { ttlSeconds: e.FALAJ_IDEMPOTENCY_TTL_SECONDS, maxAnswerBytes: e.FALAJ_IDEMPOTENCY_MAX_ANSWER_BYTES },
    auditSpool: { dir: e.FALAJ_AUDIT_SPOOL_DIR, maxBytes: e.FALAJ_AUDIT_SPOOL_MAX_BYTES },
    inFlight: { perGateway: e.FALAJ_MAX_IN_FLIGHT, perTenant: e.FALAJ_MAX_IN_FLIGHT_PER_TENANT, bytes: e.FALAJ_MAX_IN_FLIGHT_BYTES },
  };
}
export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
