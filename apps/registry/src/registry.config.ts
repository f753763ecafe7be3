import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { PrefixSchema } from '@falaj/contracts';
import { poolStreamBudgetEnv, poolStreamLimits } from '@falaj/dispatch';
import { QuotaEnvSchema } from '@falaj/routing';
import type { DatabaseSettings } from './database/database-connection';
import { RETENTION_DAYS } from './retention/retention.policy';
import { parseRegionStores } from './region-stores/region-stores.config';
import { allowedOriginProblem } from './imports/import-origin.policy';
import { ConfigError, ScramCredentials, commonConfig, commonEnv, envPort, loadEnv, strongSecret } from '@falaj/config';

const schema = z.object({
  ...commonEnv,
  FALAJ_REGISTRY_PORT: envPort(8081),
  /** Host, port, database and role; no password, no parameters (see FALAJ_DATABASE_PASSWORD_FILE, _SSL_MODE, _CA_FILE). */
  FALAJ_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://falaj_registry@127.0.0.1:5432/falaj'),
  /** The registry role's password (give it as FALAJ_DATABASE_PASSWORD_FILE). */
  FALAJ_DATABASE_PASSWORD: z.string().min(1).optional(),
  /** `verify-full`: TLS with the server's certificate and host name verified; `disable` only where the server has no TLS. */
  FALAJ_DATABASE_SSL_MODE: z.enum(['verify-full', 'disable']).default('verify-full'),
  /** The CA Postgres' certificate chains to (default: Node's trust store). */
  FALAJ_DATABASE_CA_FILE: z.string().min(1).optional(),
  /** Each region's audit store: `ae=postgres://…/falaj_audit_ae,eu=catalog` (docs/regional-stores.md); unset: every region in the catalog. */
  FALAJ_REGION_STORES: z.string().optional(),
  FALAJ_ARTIFACT_DIR: z.string().min(1).default('.local/artifacts'),
  /** Largest model artifact accepted, in bytes (default 2 GiB). */
  FALAJ_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(2 * 1024 ** 3),
  /** Storage one tenant's versions may hold, in bytes of distinct artifacts (default 10 GiB); past it an upload is 413. */
  FALAJ_TENANT_STORAGE_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 1024 ** 3),
  /** How often artifacts no version references any more are collected from the store, in ms (0: only after a model is deleted). */
  FALAJ_ARTIFACT_GC_INTERVAL_MS: z.coerce.number().int().min(0).max(86_400_000).default(3_600_000),
  /** An unreferenced artifact is collected only once its file is at least this old (an upload being committed is never taken). */
  FALAJ_ARTIFACT_GC_MIN_AGE_MS: z.coerce.number().int().min(0).max(86_400_000).default(600_000),
  // Model validation: a child process per upload, bounded in heap, resident memory and time.
  FALAJ_MODEL_VALIDATION_HEAP_MB: z.coerce.number().int().min(32).max(65_536).default(256),
  /** Resident memory the validating process may reach before it is killed (default 2 GiB). */
  FALAJ_MODEL_VALIDATION_MAX_RSS_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024 ** 2)
    .default(2 * 1024 ** 3),
  FALAJ_MODEL_VALIDATION_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(60_000),
  // Model policy: declared (and inferred) shapes and initializers past these are refused at upload.
  /** Elements of any one declared input or output (dynamic dimensions counted as 1) or initializer. */
  FALAJ_MODEL_MAX_TENSOR_ELEMENTS: z.coerce
    .number()
    .int()
    .positive()
    .default(2 ** 28),
  /** Bytes of any one declared input, output or initializer (default 1 GiB). */
  FALAJ_MODEL_MAX_TENSOR_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 ** 3),
  // Platform maxima of a deployment's serving settings (workers are shared between tenants).
  FALAJ_MAX_INSTANCE_COUNT: z.coerce.number().int().min(1).max(64).default(4),
  FALAJ_MAX_INTRA_OP_THREADS: z.coerce.number().int().min(1).max(256).default(8),
  // Batch jobs: per job and per tenant.
  FALAJ_BATCH_MAX_ROWS: z.coerce.number().int().positive().default(100_000),
  FALAJ_BATCH_MAX_ROW_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 ** 2),
  FALAJ_BATCH_MAX_JOB_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024 ** 2),
  /** Jobs of one tenant queued or running at once; one more is 429. */
  FALAJ_BATCH_TENANT_MAX_JOBS: z.coerce.number().int().positive().default(16),
  /** Input bytes of one tenant's jobs queued or running at once (default 1 GiB). */
  FALAJ_BATCH_TENANT_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 ** 3),
  // Retention (docs/audit.md#retention): days kept where a tenant sets none, and how often a pass runs.
  FALAJ_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(RETENTION_DAYS.min).max(RETENTION_DAYS.max).default(400),
  FALAJ_JOB_RETENTION_DAYS: z.coerce.number().int().min(RETENTION_DAYS.min).max(RETENTION_DAYS.max).default(30),
  /** Seconds between retention passes (0: none on a schedule, only POST /admin/retention/run). */
  FALAJ_RETENTION_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(3600),
  /** Audit rows one DELETE of a pass removes at most: each statement is short, and so are its locks. */
  FALAJ_RETENTION_BATCH_ROWS: z.coerce.number().int().min(100).max(100_000).default(5000),
  // MLflow imports (README: Importing MLflow models).
  /** Origins models may be imported from by URL, comma-separated (`https://s3.internal:9000`); empty: every URL import is refused. */
  FALAJ_IMPORT_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .superRefine((origins, ctx) => {
      for (const origin of origins) {
        const problem = allowedOriginProblem(origin);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }
    }),
  /** How long one URL import may take to fetch its files, in ms. */
  FALAJ_IMPORT_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(300_000),
  /** Entries an imported archive may hold. */
  FALAJ_IMPORT_MAX_ARCHIVE_ENTRIES: z.coerce.number().int().min(1).max(100_000).default(1000),
  /** How often active rollouts are judged on their live traffic, in ms. */
  FALAJ_ROLLOUT_TICK_MS: z.coerce.number().int().min(100).max(600_000).default(1000),
  /** Encrypts the issuer's private keys at rest; only the registry holds it. */
  FALAJ_KEY_ENCRYPTION_KEY: strongSecret(),
  // Running job rows: through the inference pipeline, as the gateway runs calls.
  /** Identifies this registry instance: workers answer its job rows on its reply stream. */
  FALAJ_REGISTRY_ID: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{1,100}$/)
    .optional(),
  /** Chunks one registry runs at once. */
  FALAJ_BATCH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** Rows of one chunk dispatched at once: enough for the workers' dynamic batchers to batch them. */
  FALAJ_BATCH_ROWS_IN_FLIGHT: z.coerce.number().int().min(1).max(1024).default(32),
  /** A chunk whose registry stopped renewing its lock this long is handed to another. */
  FALAJ_BATCH_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /** How long one row may wait for its answer (as the gateway's FALAJ_INFER_TIMEOUT_MS). */
  FALAJ_INFER_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(30_000),
  /** The gateway's token buckets (docs/traffic.md), the quota records over them: job rows draw from them too. */
  FALAJ_QUOTAS: QuotaEnvSchema,
  ...poolStreamBudgetEnv,
  /** The platform's own accounts (operators, the apps): a JSON file of { clientId, name, secretSha256, scopes }. */
  FALAJ_BOOTSTRAP_CLIENTS_FILE: z.string().min(1).optional(),
  /** Lifetime of an access token the built-in issuer signs. */
  FALAJ_ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  /** A new signing key is published this long before it signs (at least the verifiers' refetch cooldown). */
  FALAJ_SIGNING_KEY_ACTIVATION_DELAY_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  FALAJ_SIGNING_KEY_ROTATION_DAYS: z.coerce.number().min(1).max(365).default(30),
  /**
   * The web console's redirect URIs at the built-in issuer (the public client `falaj-console`,
   * authorization code + PKCE), comma-separated, each compared exactly: the gateway's
   * `https://HOST/console/callback`. Unset: the console cannot sign in.
   */
  FALAJ_CONSOLE_REDIRECT_URIS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((uri) => uri.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/ }))),
  // Tenants on Kafka (sasl_ssl): each tenant's own OAUTHBEARER principal and ACLs.
  /** The streaming topics' prefix, as the router's (default FALAJ_PREFIX): tenants' reply topics and grants are under it. */
  FALAJ_STREAM_TOPIC_PREFIX: PrefixSchema.optional(),
  /** Signs the tenants' Kafka tokens: the ES256 PKCS#8 PEM key scripts/infra.sh made (FALAJ_KAFKA_TOKEN_KEY_FILE); the broker holds its JWKS. */
  FALAJ_KAFKA_TOKEN_KEY: z
    .string()
    .regex(/-----BEGIN PRIVATE KEY-----/, 'a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)')
    .optional(),
  /** The SCRAM login that grants tenants' ACLs (ALTER on the cluster): used by tenant provisioning only. */
  FALAJ_KAFKA_PROVISIONER_USERNAME: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,100}$/)
    .default('falaj-provisioner'),
  /** Its password (FALAJ_KAFKA_PROVISIONER_PASSWORD_FILE). */
  FALAJ_KAFKA_PROVISIONER_PASSWORD: strongSecret().optional(),
});

export function loadRegistryConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = loadEnv('registry', schema, env);
  if (e.FALAJ_ACCESS_TOKEN_TTL_SECONDS > e.FALAJ_TOKEN_MAX_LIFETIME_SECONDS) {
    throw new ConfigError('registry', [
      `FALAJ_ACCESS_TOKEN_TTL_SECONDS (${e.FALAJ_ACCESS_TOKEN_TTL_SECONDS}) exceeds FALAJ_TOKEN_MAX_LIFETIME_SECONDS (${e.FALAJ_TOKEN_MAX_LIFETIME_SECONDS}): its own tokens would be refused`,
    ]);
  }
  if (e.FALAJ_KAFKA_SECURITY === 'sasl_ssl') {
    // Without these a tenant could be made with no way onto the broker, or onto someone else's topics.
    const missing = [
      ...(e.FALAJ_KAFKA_TOKEN_KEY
        ? []
        : ["FALAJ_KAFKA_TOKEN_KEY is not set: the tenants' Kafka tokens are signed with it (FALAJ_KAFKA_TOKEN_KEY_FILE, kafka-auth/kafka-token.key of scripts/infra.sh)"]),
      ...(e.FALAJ_KAFKA_PROVISIONER_PASSWORD
        ? []
        : ["FALAJ_KAFKA_PROVISIONER_PASSWORD is not set: each tenant's Kafka ACLs are granted as FALAJ_KAFKA_PROVISIONER_USERNAME (FALAJ_KAFKA_PROVISIONER_PASSWORD_FILE)"]),
    ];
    if (missing.length > 0) throw new ConfigError('registry', missing);
  }
  const regionStores = parseRegionStores(e.FALAJ_REGION_STORES);
  if (regionStores.problems.length > 0) throw new ConfigError('registry', regionStores.problems);
  const common = commonConfig(e, 'registry');
  return {
    ...common,
    tenantKafka: {
      streamPrefix: e.FALAJ_STREAM_TOPIC_PREFIX ?? e.FALAJ_PREFIX,
      /** Absent on a plaintext broker: no tokens, no ACLs (the reply topics are still made). */
      tokenKey: e.FALAJ_KAFKA_SECURITY === 'sasl_ssl' ? e.FALAJ_KAFKA_TOKEN_KEY : undefined,
      provisioner: {
        ...common.kafka,
        ...(e.FALAJ_KAFKA_SECURITY === 'sasl_ssl' ? { sasl: new ScramCredentials(e.FALAJ_KAFKA_PROVISIONER_USERNAME, e.FALAJ_KAFKA_PROVISIONER_PASSWORD!) } : {}),
      },
    },
    http: { host: e.FALAJ_HOST, port: e.FALAJ_REGISTRY_PORT },
    database: {
      url: e.FALAJ_DATABASE_URL,
      ...(e.FALAJ_DATABASE_PASSWORD !== undefined ? { password: e.FALAJ_DATABASE_PASSWORD } : {}),
      sslMode: e.FALAJ_DATABASE_SSL_MODE,
      ...(e.FALAJ_DATABASE_CA_FILE ? { caFile: e.FALAJ_DATABASE_CA_FILE } : {}),
    } satisfies DatabaseSettings,
    /** Region → store; undefined: every region's rows in the catalog (the single-database layout). */
    regionStores: regionStores.stores,
    artifacts: {
      dir: e.FALAJ_ARTIFACT_DIR,
      maxUploadBytes: e.FALAJ_MAX_UPLOAD_BYTES,
      tenantStorageBytes: e.FALAJ_TENANT_STORAGE_BYTES,
      gcIntervalMs: e.FALAJ_ARTIFACT_GC_INTERVAL_MS,
      gcMinAgeMs: e.FALAJ_ARTIFACT_GC_MIN_AGE_MS,
    },
    validation: {
      heapMb: e.FALAJ_MODEL_VALIDATION_HEAP_MB,
      maxRssBytes: e.FALAJ_MODEL_VALIDATION_MAX_RSS_BYTES,
      timeoutMs: e.FALAJ_MODEL_VALIDATION_TIMEOUT_MS,
    },
    modelPolicy: { maxTensorElements: e.FALAJ_MODEL_MAX_TENSOR_ELEMENTS, maxTensorBytes: e.FALAJ_MODEL_MAX_TENSOR_BYTES },
    servingMaxima: { instanceCount: e.FALAJ_MAX_INSTANCE_COUNT, intraOpThreads: e.FALAJ_MAX_INTRA_OP_THREADS },
    batch: {
      maxRows: e.FALAJ_BATCH_MAX_ROWS,
      maxRowBytes: e.FALAJ_BATCH_MAX_ROW_BYTES,
      maxJobBytes: e.FALAJ_BATCH_MAX_JOB_BYTES,
      tenantMaxJobs: e.FALAJ_BATCH_TENANT_MAX_JOBS,
      tenantMaxBytes: e.FALAJ_BATCH_TENANT_MAX_BYTES,
      concurrency: e.FALAJ_BATCH_CONCURRENCY,
      rowsInFlight: e.FALAJ_BATCH_ROWS_IN_FLIGHT,
      lockMs: e.FALAJ_BATCH_LOCK_MS,
    },
    registryId: e.FALAJ_REGISTRY_ID ?? `registry-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    inferTimeoutMs: e.FALAJ_INFER_TIMEOUT_MS,
    quotas: e.FALAJ_QUOTAS,
    poolStreams: poolStreamLimits(e),
    rolloutTickMs: e.FALAJ_ROLLOUT_TICK_MS,
    imports: { allowedOrigins: e.FALAJ_IMPORT_ALLOWED_ORIGINS, timeoutMs: e.FALAJ_IMPORT_TIMEOUT_MS, maxArchiveEntries: e.FALAJ_IMPORT_MAX_ARCHIVE_ENTRIES },
    retention: {
      auditDays: e.FALAJ_AUDIT_RETENTION_DAYS,
      jobDays: e.FALAJ_JOB_RETENTION_DAYS,
      intervalMs: e.FALAJ_RETENTION_INTERVAL_SECONDS * 1000,
      batchRows: e.FALAJ_RETENTION_BATCH_ROWS,
    },
    issuer: {
      url: e.FALAJ_ISSUER_URL.replace(/\/$/, ''),
      audience: e.FALAJ_TOKEN_AUDIENCE,
      keyEncryptionKey: e.FALAJ_KEY_ENCRYPTION_KEY,
      bootstrapClientsFile: e.FALAJ_BOOTSTRAP_CLIENTS_FILE,
      tokenTtlSeconds: e.FALAJ_ACCESS_TOKEN_TTL_SECONDS,
      activationDelayMs: e.FALAJ_SIGNING_KEY_ACTIVATION_DELAY_MS,
      rotateAfterMs: e.FALAJ_SIGNING_KEY_ROTATION_DAYS * 86_400_000,
      consoleRedirectUris: e.FALAJ_CONSOLE_REDIRECT_URIS,
    },
  };
}
export type RegistryConfig = ReturnType<typeof loadRegistryConfig>;
export const REGISTRY_CONFIG = Symbol('REGISTRY_CONFIG');
/** The registry's Redis connection: worker heartbeats (load state) and the API-key mirror. */
export const REGISTRY_REDIS = Symbol('REGISTRY_REDIS');
