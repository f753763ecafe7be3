import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { commonConfig, commonEnv, envPort, loadEnv } from '@falaj/config';
import { QuotaEnvSchema } from '@falaj/routing';

const schema = z.object({
  ...commonEnv,
  FALAJ_GATEWAY_PORT: envPort(8080),
  /** The OIP gRPC service (inference.GRPCInferenceService), beside REST. */
  FALAJ_GRPC_PORT: envPort(8001),
  FALAJ_REGISTRY_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8081'),
  /** Identifies this gateway instance: workers reply on its channel. */
  FALAJ_GATEWAY_ID: z.string().regex(/^[a-zA-Z0-9_.-]{1,100}$/).optional(),
  FALAJ_INFER_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(30_000),
  /** Largest inference request body, in bytes (413 beyond). */
  FALAJ_MAX_REQUEST_BYTES: z.coerce.number().int().min(1024).default(32 * 1024 * 1024),
  /** Token buckets and in-flight limits per tenant and model, as JSON (README: Traffic management); the registry's quota records override it. */
  FALAJ_QUOTAS: QuotaEnvSchema,
});

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = loadEnv('gateway', schema, env);
  return {
    ...commonConfig(e),
    http: { host: e.FALAJ_HOST, port: e.FALAJ_GATEWAY_PORT },
    grpc: { host: e.FALAJ_HOST, port: e.FALAJ_GRPC_PORT },
    registryUrl: e.FALAJ_REGISTRY_URL.replace(/\/$/, ''),
    gatewayId: e.FALAJ_GATEWAY_ID ?? `gateway-${process.pid}-${randomBytes(4).toString('hex')}`,
    inferTimeoutMs: e.FALAJ_INFER_TIMEOUT_MS,
    maxRequestBytes: e.FALAJ_MAX_REQUEST_BYTES,
    quotas: e.FALAJ_QUOTAS,
  };
}
export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
