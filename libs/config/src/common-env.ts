import { z } from 'zod';
import { ALL_SCOPES, TrustedIssuersSchema, type TrustedIssuer } from '@falaj/auth';
import { PrefixSchema, RegionSchema } from '@falaj/contracts';
import { kafkaConnection, kafkaEnv } from './kafka-env';
import { DEFAULT_TENSOR_LIMITS } from '@falaj/oip';
import { strongSecret } from './secret';
import { tlsEnv, tlsSettings } from './tls-env';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

/** Variables every app reads; each app's schema extends these. */
export const commonEnv = {
  FALAJ_PREFIX: PrefixSchema.default('falaj'),
  ...kafkaEnv,
  /** `rediss://` for TLS. Never with a user or password in it: those come from the two below. */
  FALAJ_REDIS_URL: z
    .url({ protocol: /^rediss?$/ })
    .refine((url) => !new URL(url).password && !new URL(url).username, 'must not carry credentials: set FALAJ_REDIS_USERNAME and FALAJ_REDIS_PASSWORD_FILE')
    .default('redis://127.0.0.1:6379'),
  /** The app's ACL user on Redis (`<prefix>-<app class>`, see redis-acl.policy.ts) and its password, read from FALAJ_REDIS_PASSWORD_FILE. */
  FALAJ_REDIS_USERNAME: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{1,100}$/)
    .optional(),
  FALAJ_REDIS_PASSWORD: z.string().min(1).optional(),
  /** The CA (PEM) that signs the TLS Redis' certificate, read from FALAJ_REDIS_CA_FILE; the system's CAs without it. */
  FALAJ_REDIS_CA: z.string().includes('-----BEGIN CERTIFICATE-----', { message: 'must be a PEM certificate (FALAJ_REDIS_CA_FILE names its file)' }).optional(),
  /** The built-in issuer (the registry's OAuth2 server): its URL is its tokens' `iss`. */
  FALAJ_ISSUER_URL: z.url({ protocol: /^https?$/ }).default('https://127.0.0.1:8081'),
  /** The audience every app's tokens must name. */
  FALAJ_TOKEN_AUDIENCE: z.string().min(1).default('falaj'),
  /** Other issuers whose tokens are accepted (an enterprise IdP such as Keycloak), as JSON: see TrustedIssuerSchema. */
  FALAJ_TRUSTED_ISSUERS: z
    .string()
    .default('[]')
    .transform((raw, ctx) => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array of issuers' });
        return z.NEVER;
      }
    })
    .pipe(TrustedIssuersSchema),
  FALAJ_TOKEN_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  /** Longest lifetime (`exp - iat`) of an access token accepted from any issuer. */
  FALAJ_TOKEN_MAX_LIFETIME_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  /** An unknown signing key refetches an issuer's key set at most this often. */
  FALAJ_JWKS_REFETCH_COOLDOWN_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** The app's own OAuth2 client at the built-in issuer (its service identity); apps that call another app need it. */
  FALAJ_CLIENT_ID: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{3,100}$/)
    .optional(),
  FALAJ_CLIENT_SECRET: strongSecret().optional(),
  /**
   * The platform secret payload logging derives its per-tenant keys from (HKDF): the `hash`
   * policy's HMAC key, the seal of `full` records and of kept idempotency answers. Needed by the
   * edges (gateway, router, registry); without it `hash` and `full` keep no record.
   */
  FALAJ_PAYLOAD_KEY: strongSecret().optional(),
  FALAJ_HOST: z.string().min(1).default('127.0.0.1'),
  FALAJ_LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
  /** Elements of one request tensor, on every entry point (REST, gRPC, KServe v1, Kafka, batch rows): 413 beyond. */
  FALAJ_MAX_TENSOR_ELEMENTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(2 ** 31)
    .default(DEFAULT_TENSOR_LIMITS.maxElements),
  /** Bytes of one BYTES element of a request tensor, on every entry point: 413 beyond. */
  FALAJ_MAX_BYTES_ELEMENT_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(2 ** 31)
    .default(DEFAULT_TENSOR_LIMITS.maxBytesElementBytes),
  ...tlsEnv,
};

export const envPort = port;
export const envRegion = RegionSchema;
export const envBoolean = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

type CommonEnv = z.output<z.ZodObject<typeof commonEnv>>;

/** The part of every app's typed configuration that comes from the common variables. */
export function commonConfig(e: CommonEnv, app = 'app') {
  return {
    tls: tlsSettings(app, e),
    prefix: e.FALAJ_PREFIX,
    host: e.FALAJ_HOST,
    logLevel: e.FALAJ_LOG_LEVEL,
    auth: authConfig(e),
    payloadKey: e.FALAJ_PAYLOAD_KEY,
    client: e.FALAJ_CLIENT_ID && e.FALAJ_CLIENT_SECRET ? { clientId: e.FALAJ_CLIENT_ID, clientSecret: e.FALAJ_CLIENT_SECRET } : undefined,
    kafka: kafkaConnection(e),
    redis: { url: e.FALAJ_REDIS_URL, username: e.FALAJ_REDIS_USERNAME, password: e.FALAJ_REDIS_PASSWORD, ca: e.FALAJ_REDIS_CA },
    tensorLimits: { maxElements: e.FALAJ_MAX_TENSOR_ELEMENTS, maxBytesElementBytes: e.FALAJ_MAX_BYTES_ELEMENT_BYTES },
  };
}

/** The built-in issuer as every app trusts it: ES256 only, and the one issuer that may speak for the platform. */
function builtInIssuer(e: CommonEnv): TrustedIssuer {
  return {
    issuer: e.FALAJ_ISSUER_URL.replace(/\/$/, ''),
    audiences: [e.FALAJ_TOKEN_AUDIENCE],
    algorithms: ['ES256'],
    claims: { subject: 'sub', tenant: 'tenant', scopes: 'scope', residency: 'residency' },
    allowedScopes: [...ALL_SCOPES],
    tlsTrust: 'platform',
  };
}

function authConfig(e: CommonEnv) {
  const builtIn = builtInIssuer(e);
  const external = e.FALAJ_TRUSTED_ISSUERS.filter((i) => i.issuer !== builtIn.issuer);
  return {
    builtInIssuer: builtIn.issuer,
    tokenUrl: `${builtIn.issuer}/oauth2/token`,
    issuers: [builtIn, ...external],
    clockToleranceSeconds: e.FALAJ_TOKEN_CLOCK_SKEW_SECONDS,
    maxLifetimeSeconds: e.FALAJ_TOKEN_MAX_LIFETIME_SECONDS,
    keys: { refetchCooldownMs: e.FALAJ_JWKS_REFETCH_COOLDOWN_MS },
  };
}
