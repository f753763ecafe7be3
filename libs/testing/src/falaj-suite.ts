import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import Redis from 'ioredis';
import { Client } from 'pg';
import { SCOPES, type TrustedIssuerInput } from '@falaj/auth';
import { REDIS_APP_ROLES, applyRedisAcl, redisConnectionOptions, redisRoleOf, redisUsername, removeRedisAcl, type RedisAppRole, type RedisEndpoint } from '@falaj/messaging';
import { KAFKA_USERS, applyKafkaAcls, kafkaAclPolicy, removeKafkaAcls, removeTenantKafkaAcls, type KafkaAclRule, type KafkaTokenGrant } from '@falaj/messaging';
import { AppProcess, type AppName } from './app-process';
import { freePorts } from './free-port';
import { TEST_KAFKA, testKafka, testKafkaEnv, testTenantProvisioningEnv } from './kafka-access';
import { repoRoot } from './repo-root';
import { ensureCertificates, testTlsDir } from './test-tls';

export interface SuiteOptions {
  /** Extra environment per app, e.g. a small upload limit for the registry. */
  env?: Partial<Record<AppName, NodeJS.ProcessEnv>>;
  /** CPU workers in the pool (default 1); the second is named `cpu-worker-2`, and so on. */
  cpuWorkers?: number;
  /**
   * Start the gpu-worker too (default false). Without a GPU it joins no pool, so only the files
   * about the gpu-worker itself, or about every app, need it: one process of five fewer to start on a
   * 2-core machine is seconds off every other file.
   */
  gpuWorker?: boolean;
  /** Node flags per app, e.g. `--cpu-prof` for a profile. */
  nodeArgs?: Partial<Record<AppName, string[]>>;
  /** Extra environment per CPU worker, first worker first (e.g. `{ FALAJ_REGION: 'eu' }`). */
  cpuWorkerEnv?: NodeJS.ProcessEnv[];
  /** External issuers every app trusts besides the built-in one (FALAJ_TRUSTED_ISSUERS). */
  trustedIssuers?: TrustedIssuerInput[];
  /**
   * TLS on every listener (default true: the secure path is the tested one), from the tests' CA
   * (testTlsDir()); false starts every app with FALAJ_PLAINTEXT=true.
   */
  tls?: boolean;
  /**
   * Regions with an audit store of their own (FALAJ_REGION_STORES): each gets a database
   * `<run database>_<region>`, made and migrated by the registry; any other region has no store
   * and its calls are refused. Unset: every region's rows in the run's one database.
   */
  regionStores?: string[];
  /** Every app traces at this ratio and exports to this Zipkin (`infra.sh up zipkin`), spans sent within 100 ms. */
  tracing?: { sampling: number; zipkinUrl: string };
}

/** An OAuth2 client of the built-in issuer, as a test holds it. */
export interface SuiteClient {
  clientId: string;
  clientSecret: string;
}

const randomSecret = (): string => randomBytes(32).toString('base64url');

/**
 * The Redis of the tests: by default the project's TLS-only one (`scripts/infra.sh up`), where
 * each run gives its apps ACL users of their own (redis-acl.policy.ts), so the secure path is the
 * tested path. `FALAJ_TEST_REDIS=plain` runs on FALAJ_REDIS_URL without TLS or users instead.
 */
const REDIS_STATE = join(process.env.FALAJ_STATE_DIR ?? join(homedir(), '.local/state/falaj'), 'redis-tls');
const REDIS_PLAIN = process.env.FALAJ_TEST_REDIS === 'plain';
const REDIS_CA_FILE = process.env.FALAJ_TEST_REDIS_CA_FILE ?? join(REDIS_STATE, 'tls/ca.crt');
const REDIS_ADMIN = process.env.FALAJ_TEST_REDIS_ADMIN ?? 'falaj-admin';
const REDIS_ADMIN_PASSWORD_FILE = process.env.FALAJ_TEST_REDIS_ADMIN_PASSWORD_FILE ?? join(REDIS_STATE, 'admin-password');
const REDIS_URL = REDIS_PLAIN ? (process.env.FALAJ_REDIS_URL ?? 'redis://127.0.0.1:6379') : (process.env.FALAJ_TEST_REDIS_URL ?? `rediss://127.0.0.1:${process.env.FALAJ_REDIS_TLS_PORT ?? 6380}`);

function adminEndpoint(): RedisEndpoint {
  if (REDIS_PLAIN) return { url: REDIS_URL };
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new Error(`FalajSuite: cannot read the TLS Redis' ${what} at ${file} (${(error as NodeJS.ErrnoException).code}); run \`bash scripts/infra.sh up\` (or FALAJ_TEST_REDIS=plain)`, {
        cause: error,
      });
    }
  };
  return { url: REDIS_URL, ca: read(REDIS_CA_FILE, 'CA'), username: REDIS_ADMIN, password: read(REDIS_ADMIN_PASSWORD_FILE, 'admin password') };
}
const POSTGRES_URL = process.env.FALAJ_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
/** The development CA of the machine's backbone (scripts/infra.sh gives Postgres a certificate from it). */
export const BACKBONE_CA_FILE = join(process.env.FALAJ_STATE_DIR ?? join(homedir(), '.local/state/falaj'), 'tls/ca.crt');
// The operator's tool that makes an app's Postgres role (also used by npm start).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureServiceRole } = require(join(repoRoot(), 'scripts/dev/postgres-role.cjs')) as {
  ensureServiceRole: (client: Client, role: string, password: string) => Promise<void>;
};

/**
 * The five apps, started from the build output against the real Postgres, Redis and Kafka, with
 * a prefix, database and folders of their own, so a test run never touches a running
 * `npm start` and leaves nothing behind.
 */
export class FalajSuite {
  readonly prefix = `falajtest-${randomBytes(4).toString('hex')}`;
  readonly database = `falaj_e2e_${randomBytes(4).toString('hex')}`;
  /** The operator's (superuser's) URL of the run's database, for the tests' own queries. */
  readonly databaseUrl = `${POSTGRES_URL}/${this.database}`;
  /** The registry's own login role: no superuser, TLS and a SCRAM password only (scripts/infra.sh). */
  readonly databaseRole = `${this.database}_registry`;
  readonly databaseRolePassword = randomSecret();
  readonly workDir = mkdtempSync(join(tmpdir(), 'falaj-e2e-'));
  /** The platform operator's account, from the registry's bootstrap file. */
  readonly admin: SuiteClient = { clientId: 'e2e-admin', clientSecret: randomSecret() };
  private readonly secretsDir = join(this.workDir, 'secrets');
  /** Every secret and token this run handed out or used, with what it is: no log may contain one. */
  private readonly secrets = new Map<string, string>();
  /** The run's Redis as its operator sees it (every key, every command): for tests that inspect or break it. */
  readonly redis: RedisEndpoint = adminEndpoint();
  private readonly redisPasswords = Object.fromEntries(REDIS_APP_ROLES.map((role) => [role, randomSecret()])) as Record<RedisAppRole, string>;
  private redisUsers = false;
  /** One per run: a retried start finds the signing keys the first try stored under it. */
  private readonly keyEncryptionKey = randomSecret();
  /** FALAJ_PAYLOAD_KEY of the run's gateway, router and registry: a test derives a tenant's HMAC key from it. */
  readonly payloadKey = randomSecret();
  private adminToken?: { value: string; renewAt: number };
  private readonly tenantTokens = new Map<string, Promise<string>>();
  readonly apps = new Map<string, AppProcess>();
  private readonly appEnv = new Map<string, { app: AppName; env: NodeJS.ProcessEnv; logs: string; health: string; nodeArgs: string[] }>();
  gatewayUrl = '';
  registryUrl = '';
  /** The gateway's OIP gRPC service, `host:port`. */
  grpcAddress = '';
  /** Whether the apps serve TLS (SuiteOptions.tls). */
  tls = true;
  /** The CA every app's certificate is from, and that every app trusts. */
  readonly caFile = join(testTlsDir(), 'ca.crt');

  /** The gRPC service with the credentials to reach it: TLS trusting the tests' CA, or plaintext. */
  get grpcTarget(): { address: string; credentials: grpc.ChannelCredentials } {
    return { address: this.grpcAddress, credentials: this.grpcCredentials() };
  }

  grpcCredentials(): grpc.ChannelCredentials {
    return this.tls ? grpc.credentials.createSsl(readFileSync(this.caFile)) : grpc.credentials.createInsecure();
  }

  /** The certificate and key files of a test certificate (TEST_CERTIFICATE_NAMES). */
  certificate(name: string): { certFile: string; keyFile: string } {
    return { certFile: join(testTlsDir(), `${name}.crt`), keyFile: join(testTlsDir(), `${name}.key`) };
  }

  /** What this run's apps may do on Kafka: the platform's policy for its prefix, granted at start, removed at stop. */
  private aclRules: KafkaAclRule[] = [];
  private streamPrefix = this.prefix;

  async start(options: SuiteOptions = {}): Promise<void> {
    if (!REDIS_PLAIN) {
      const admin = this.adminRedis('falaj-suite:acl');
      try {
        await applyRedisAcl(admin, this.prefix, this.redisPasswords);
        this.redisUsers = true;
      } finally {
        admin.disconnect();
      }
    }
    await this.grantKafkaAcls(options.env?.router?.FALAJ_STREAM_TOPIC_PREFIX ?? this.prefix);
    try {
      await this.startOnce(options);
    } catch (error) {
      // An app that could not start for a reason of the moment (a port taken between the pick and
      // the bind, a broker slow with a new topic) gets one more try on fresh ports. The first
      // failure is printed with its log tail, so it stays visible in CI; a second one fails.
      process.stderr.write(`FalajSuite: the apps did not all start; retrying once on fresh ports. The failure:\n${(error as Error).message}\n`);
      await Promise.all([...this.apps.values()].map((app) => app.stop()));
      this.apps.clear();
      this.appEnv.clear();
      await this.startOnce(options);
    }
  }

  /** The regions given their own store by the last start (SuiteOptions.regionStores). */
  private regionStores: string[] = [];

  /** A region store's database (SuiteOptions.regionStores). */
  regionDatabase(region: string): string {
    return `${this.database}_${region}`;
  }

  /** A query on a region's store as the operator (superuser) sees it, as `query` is on the catalog. */
  async queryRegion<T = Record<string, unknown>>(region: string, sql: string, params: unknown[] = []): Promise<T[]> {
    if (!this.regionStores.includes(region)) throw new Error(`region ${region} has no store in this run`);
    const client = new Client({ connectionString: `${POSTGRES_URL}/${this.regionDatabase(region)}` });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  private async startOnce(options: SuiteOptions): Promise<void> {
    this.regionStores = options.regionStores ?? [];
    const extraWorkers = Math.max(0, (options.cpuWorkers ?? 1) - 1);
    const [gateway, registry, router, cpu, gpu, grpcPort, ...moreCpu] = await freePorts(6 + extraWorkers);
    this.tls = options.tls ?? true;
    if (this.tls) ensureCertificates(testTlsDir());
    const scheme = this.tls ? 'https' : 'http';
    this.gatewayUrl = `${scheme}://127.0.0.1:${gateway}`;
    this.grpcAddress = `127.0.0.1:${grpcPort}`;
    this.registryUrl = `${scheme}://127.0.0.1:${registry}`;
    const workers = ['cpu-worker', ...Array.from({ length: extraWorkers }, (_, i) => `cpu-worker-${i + 2}`), ...(options.gpuWorker ? ['gpu-worker'] : [])];
    const credentials = this.writeCredentials(workers);
    const common: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      FALAJ_PREFIX: this.prefix,
      FALAJ_ISSUER_URL: this.registryUrl,
      // Fast enough for a test to see a rotated key at once; production keeps the 10 s default.
      FALAJ_JWKS_REFETCH_COOLDOWN_MS: '500',
      ...(options.trustedIssuers ? { FALAJ_TRUSTED_ISSUERS: JSON.stringify(options.trustedIssuers) } : {}),
      FALAJ_REDIS_URL: REDIS_URL,
      ...(REDIS_PLAIN ? {} : { FALAJ_REDIS_CA_FILE: REDIS_CA_FILE }),
      FALAJ_LOG_LEVEL: 'log',
      FALAJ_EXIT_WITH_PARENT: 'true',
      // Inside, every app presents its certificate and checks the others' (mTLS, optional mode).
      ...(this.tls ? { FALAJ_TLS_CA_FILE: this.caFile, FALAJ_TLS_CLIENT_AUTH: 'optional' } : { FALAJ_PLAINTEXT: 'true' }),
      ...(options.tracing ? { FALAJ_TRACE_SAMPLING: String(options.tracing.sampling), FALAJ_TRACE_ZIPKIN_URL: options.tracing.zipkinUrl, FALAJ_TRACE_EXPORT_DELAY_MS: '100' } : {}),
    };
    const logs = join(this.workDir, 'logs');
    const add = (name: string, app: AppName, env: NodeJS.ProcessEnv, health: string) => {
      const nodeArgs = options.nodeArgs?.[app] ?? [];
      const tls = this.tls ? (({ certFile, keyFile }) => ({ FALAJ_TLS_CERT_FILE: certFile, FALAJ_TLS_KEY_FILE: keyFile }))(this.certificate(app)) : {};
      const full = { ...common, ...this.redisUserEnv(app), ...tls, FALAJ_ROUTE_TABLE_PATH: this.routeTableFile(name), ...env, ...options.env?.[app] };
      this.appEnv.set(name, { app, env: full, logs, health, nodeArgs });
      this.apps.set(name, new AppProcess(name, app, full, logs, health, nodeArgs));
    };
    await this.ensureDatabaseRole();
    add(
      'registry',
      'registry',
      {
        ...testKafkaEnv(KAFKA_USERS.registry),
        ...testTenantProvisioningEnv(),
        ...(options.env?.router?.FALAJ_STREAM_TOPIC_PREFIX ? { FALAJ_STREAM_TOPIC_PREFIX: options.env.router.FALAJ_STREAM_TOPIC_PREFIX } : {}),
        FALAJ_REGISTRY_PORT: String(registry),
        FALAJ_DATABASE_URL: `${this.registryDatabaseServer}/${this.database}`,
        FALAJ_DATABASE_PASSWORD_FILE: credentials.databasePassword,
        FALAJ_DATABASE_CA_FILE: BACKBONE_CA_FILE,
        FALAJ_ARTIFACT_DIR: join(this.workDir, 'artifacts'),
        FALAJ_KEY_ENCRYPTION_KEY_FILE: credentials.keyEncryptionKey,
        FALAJ_PAYLOAD_KEY_FILE: credentials.payloadKey,
        FALAJ_BOOTSTRAP_CLIENTS_FILE: credentials.bootstrapClients,
        FALAJ_SIGNING_KEY_ACTIVATION_DELAY_MS: '1500',
        // The web console signs in through the gateway (authorization code + PKCE).
        FALAJ_CONSOLE_REDIRECT_URIS: `${this.gatewayUrl}/console/callback`,
        // Suites run longer than the 15 min default; the tokens they cache must outlive them.
        FALAJ_ACCESS_TOKEN_TTL_SECONDS: '3600',
        ...(this.regionStores.length > 0 ? { FALAJ_REGION_STORES: this.regionStores.map((region) => `${region}=${this.registryDatabaseServer}/${this.regionDatabase(region)}`).join(',') } : {}),
      },
      `${this.registryUrl}/health/ready`,
    );
    add('router', 'router', { ...testKafkaEnv(KAFKA_USERS.router), FALAJ_ROUTER_PORT: String(router), FALAJ_PAYLOAD_KEY_FILE: credentials.payloadKey }, `${scheme}://127.0.0.1:${router}/health/ready`);
    for (let n = 1; n <= (options.cpuWorkers ?? 1); n++) {
      const port = n === 1 ? cpu : moreCpu[n - 2];
      add(
        n === 1 ? 'cpu-worker' : `cpu-worker-${n}`,
        'cpu-worker',
        {
          ...testKafkaEnv(KAFKA_USERS.worker),
          FALAJ_WORKER_PORT: String(port),
          FALAJ_REGISTRY_URL: this.registryUrl,
          FALAJ_MODEL_CACHE_DIR: join(this.workDir, `cache-cpu-${n}`),
          ...credentials.clientEnv(n === 1 ? 'cpu-worker' : `cpu-worker-${n}`),
          ...options.cpuWorkerEnv?.[n - 1],
        },
        `${scheme}://127.0.0.1:${port}/health/ready`,
      );
    }
    if (options.gpuWorker)
      add(
        'gpu-worker',
        'gpu-worker',
        {
          ...testKafkaEnv(KAFKA_USERS.worker),
          FALAJ_WORKER_PORT: String(gpu),
          FALAJ_REGISTRY_URL: this.registryUrl,
          FALAJ_MODEL_CACHE_DIR: join(this.workDir, 'cache-gpu'),
          ...credentials.clientEnv('gpu-worker'),
        },
        `${scheme}://127.0.0.1:${gpu}/health/live`,
      );
    add(
      'gateway',
      'gateway',
      {
        ...testKafkaEnv(KAFKA_USERS.gateway),
        FALAJ_PAYLOAD_KEY_FILE: credentials.payloadKey,
        FALAJ_AUDIT_SPOOL_DIR: join(this.workDir, 'audit-spool-gateway'),
        FALAJ_GATEWAY_PORT: String(gateway),
        FALAJ_GRPC_PORT: String(grpcPort),
        FALAJ_REGISTRY_URL: this.registryUrl,
      },
      `${this.gatewayUrl}/v2/health/ready`,
    );
    for (const app of this.apps.values()) app.start();
    try {
      await Promise.all([...this.apps.values()].map((app) => app.waitHealthy()));
    } catch (error) {
      throw new Error(`${(error as Error).message}\n(logs in ${logs})`, { cause: error });
    }
  }

  /** Stops every app as Ctrl-C would and removes the run's database, keys, topics and files. */
  async stop(): Promise<Record<string, boolean>> {
    const graceful: Record<string, boolean> = {};
    await Promise.all([...this.apps].map(async ([name, app]) => (graceful[name] = (await app.stop()).graceful)));
    await Promise.allSettled([this.dropDatabase(), this.deleteKeys().finally(() => this.removeRedisUsers()), this.deleteTopics().finally(() => this.revokeKafkaAcls())]);
    if (!process.env.FALAJ_KEEP_E2E) rmSync(this.workDir, { recursive: true, force: true });
    return graceful;
  }

  /**
   * Stops one app and starts it again with some variables changed (e.g. a worker's batching switch).
   * `live`: wait until it is live only, for a worker expected never to be ready (every version it serves refused).
   */
  async restartApp(name: string, env: NodeJS.ProcessEnv, wait: 'ready' | 'live' = 'ready'): Promise<void> {
    const spec = this.appEnv.get(name);
    if (!spec) throw new Error(`no app ${name}`);
    await this.app(name).stop();
    spec.env = { ...spec.env, ...env };
    const health = wait === 'live' ? spec.health.replace(/\/health\/ready$/, '/health/live') : spec.health;
    const app = new AppProcess(name, spec.app, spec.env, spec.logs, health, spec.nodeArgs);
    this.apps.set(name, app);
    app.start();
    await app.waitHealthy();
  }

  /**
   * Starts one more instance of an app the suite runs, as its operator would scale it out: the
   * environment of `like` with a port of its own (and a model cache of its own for a worker).
   * Resolves once it is healthy (a worker: once it has joined its pool).
   */
  async addApp(name: string, like: string, env: NodeJS.ProcessEnv = {}): Promise<AppProcess> {
    const spec = this.appEnv.get(like);
    if (!spec) throw new Error(`no app ${like}`);
    if (this.apps.has(name)) throw new Error(`app ${name} exists already`);
    const portVariable = { router: 'FALAJ_ROUTER_PORT', 'cpu-worker': 'FALAJ_WORKER_PORT', 'gpu-worker': 'FALAJ_WORKER_PORT', gateway: 'FALAJ_GATEWAY_PORT', registry: 'FALAJ_REGISTRY_PORT' }[
      spec.app
    ];
    const [port] = await freePorts(1);
    const health = new URL(spec.health);
    health.port = String(port);
    const worker = spec.app === 'cpu-worker' || spec.app === 'gpu-worker';
    const full = {
      ...spec.env,
      [portVariable]: String(port),
      ...(worker ? { FALAJ_MODEL_CACHE_DIR: join(this.workDir, `cache-${name}`) } : {}),
      // Each gateway spools its audit events in a directory of its own (it holds the directory's lock).
      ...(spec.app === 'gateway' ? { FALAJ_AUDIT_SPOOL_DIR: join(this.workDir, `audit-spool-${name}`) } : {}),
      FALAJ_ROUTE_TABLE_PATH: this.routeTableFile(name),
      ...env,
    };
    this.appEnv.set(name, { ...spec, env: full, health: health.toString() });
    const app = new AppProcess(name, spec.app, full, spec.logs, health.toString(), spec.nodeArgs);
    this.apps.set(name, app);
    app.start();
    await app.waitHealthy();
    return app;
  }

  /** An app's Redis user, as its operator gives it: the name in the environment, the password in a file. */
  private redisUserEnv(app: AppName): NodeJS.ProcessEnv {
    if (REDIS_PLAIN) return {};
    const role = redisRoleOf(app);
    mkdirSync(this.secretsDir, { recursive: true, mode: 0o700 });
    const file = join(this.secretsDir, `redis-${role}.password`);
    writeFileSync(file, this.redisPasswords[role], { mode: 0o600 });
    this.rememberSecret(this.redisPasswords[role], `the Redis password of ${role}`);
    return { FALAJ_REDIS_USERNAME: redisUsername(this.prefix, role), FALAJ_REDIS_PASSWORD_FILE: file };
  }

  /**
   * Gives the run's apps their Redis users again, as an operator's tooling does after a Redis
   * restart: the users live in Redis' memory only (redis-acl.policy.ts), so a restart drops them.
   */
  async restoreRedisUsers(): Promise<void> {
    if (REDIS_PLAIN) return;
    const admin = this.adminRedis('falaj-suite:acl');
    try {
      await applyRedisAcl(admin, this.prefix, this.redisPasswords);
    } finally {
      admin.disconnect();
    }
  }

  /** What an app of this class connects as: for tests that try what its user may and may not do. */
  redisEndpointOf(role: RedisAppRole): RedisEndpoint {
    if (REDIS_PLAIN) return { url: REDIS_URL };
    return { url: REDIS_URL, ca: this.redis.ca, username: redisUsername(this.prefix, role), password: this.redisPasswords[role] };
  }

  /** A connection as the run's Redis operator; the caller closes it. */
  adminRedis(name = 'falaj-suite'): Redis {
    return new Redis(this.redis.url, { ...redisConnectionOptions(this.redis), connectionName: name });
  }

  private async removeRedisUsers(): Promise<void> {
    if (!this.redisUsers) return;
    const admin = this.adminRedis('falaj-suite:acl');
    try {
      await removeRedisAcl(admin, this.prefix);
    } finally {
      admin.disconnect();
    }
  }

  private routeTableFile(name: string): string {
    return join(this.workDir, `routes-${name}.json`);
  }

  /** The routes an app registered with Fastify, as it wrote them once listening. */
  routeTable(name: string): { method: string; url: string }[] {
    return JSON.parse(readFileSync(this.routeTableFile(name), 'utf8')) as { method: string; url: string }[];
  }

  /** An app's base URL, from the health URL it was started with. */
  appUrl(name: string): string {
    return new URL(this.app(name).healthUrl).origin;
  }

  app(name: string): AppProcess {
    const app = this.apps.get(name);
    if (!app) throw new Error(`no app ${name}`);
    return app;
  }

  /**
   * The registry's secrets and the platform's accounts, as an operator provides them: files
   * (mode 600) named by `*_FILE` variables, the bootstrap file holding only hashes.
   */
  private writeCredentials(workers: string[]) {
    mkdirSync(this.secretsDir, { recursive: true, mode: 0o700 });
    const write = (name: string, value: string): string => {
      const path = join(this.secretsDir, name);
      writeFileSync(path, value, { mode: 0o600 });
      if (!name.endsWith('.json')) this.rememberSecret(value, `secret file ${name}`);
      return path;
    };
    this.rememberSecret(this.admin.clientSecret, 'the operator client secret');
    const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
    const apps = new Map(workers.map((name) => [name, { clientId: `e2e-${name}`, clientSecret: randomSecret() }]));
    const accounts = [
      { clientId: this.admin.clientId, name: 'e2e operator', secretSha256: sha256(this.admin.clientSecret), scopes: [SCOPES.platformAdmin, SCOPES.workersRead] },
      ...[...apps.values()].map((c) => ({ clientId: c.clientId, secretSha256: sha256(c.clientSecret), scopes: [SCOPES.artifactsRead] })),
    ];
    return {
      keyEncryptionKey: write('key-encryption-key', this.keyEncryptionKey),
      payloadKey: write('payload-key', this.payloadKey),
      databasePassword: write('database-password', this.databaseRolePassword),
      bootstrapClients: write('bootstrap-clients.json', JSON.stringify(accounts)),
      clientEnv: (app: string): NodeJS.ProcessEnv => {
        const client = apps.get(app)!;
        return { FALAJ_CLIENT_ID: client.clientId, FALAJ_CLIENT_SECRET_FILE: write(`${app}.secret`, client.clientSecret) };
      },
    };
  }

  get tokenUrl(): string {
    return `${this.registryUrl}/oauth2/token`;
  }

  /** An access token by the client-credentials grant at the built-in issuer. */
  async clientToken(client: SuiteClient, scope?: string): Promise<string> {
    const response = await fetch(this.tokenUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }).toString(),
    });
    const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
    if (!response.ok || !body.access_token) throw new Error(`token for ${client.clientId}: HTTP ${response.status} ${body.error}: ${body.error_description}`);
    this.rememberSecret(body.access_token, `an access token of ${client.clientId}`);
    return body.access_token;
  }

  /** The platform operator's token (platform:admin, workers:read), renewed before it lapses. */
  async platformAdminToken(): Promise<string> {
    if (this.adminToken && this.adminToken.renewAt > Date.now()) return this.adminToken.value;
    const value = await this.clientToken(this.admin);
    this.adminToken = { value, renewAt: Date.now() + 5 * 60_000 };
    return value;
  }

  /** Creates a client (service account) of a tenant, or of `_platform`, through the admin API. */
  async createClient(tenantId: string, scopes: readonly string[], name = 'e2e'): Promise<SuiteClient> {
    const created = await this.call('POST', `/admin/tenants/${tenantId}/clients`, await this.platformAdminToken(), { name, scopes });
    if (created.status !== 201) throw new Error(`client for ${tenantId}: HTTP ${created.status} ${created.text}`);
    this.rememberSecret(created.json.clientSecret, `the client secret of ${created.json.clientId}`);
    return { clientId: created.json.clientId, clientSecret: created.json.clientSecret };
  }

  /** Marks a value as secret for secretsInLogs (a token also by its signature alone). */
  rememberSecret(value: string, what: string): void {
    if (value.length < 16) return;
    this.secrets.set(value, what);
    const signature = value.split('.')[2];
    if (signature && signature.length >= 16) this.secrets.set(signature, `the signature of ${what}`);
  }

  /** The secrets (by what they are, never the value) found in any app's log of this run. */
  secretsInLogs(): { app: string; secret: string }[] {
    const dir = join(this.workDir, 'logs');
    const found: { app: string; secret: string }[] = [];
    for (const file of existsSync(dir) ? readdirSync(dir) : []) {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const [value, what] of this.secrets) if (text.includes(value)) found.push({ app: file.replace(/\.log$/, ''), secret: what });
    }
    return found;
  }

  /**
   * A token of a client of the tenant holding these scopes (one client per tenant, name and
   * scopes; the tenant must exist). `_platform` gets a platform account.
   */
  token(request: { tenantId: string; scopes: readonly string[]; subject?: string }): Promise<string> {
    if (request.scopes.length === 0) throw new Error('a client holds at least one scope (sign a scope-less token with a LocalIssuer)');
    const scopes = [...request.scopes].sort();
    const key = `${request.tenantId}|${request.subject ?? ''}|${scopes.join(' ')}`;
    let token = this.tenantTokens.get(key);
    if (!token) {
      token = this.createClient(request.tenantId, scopes, request.subject).then((client) => this.clientToken(client));
      token.catch(() => this.tenantTokens.delete(key));
      this.tenantTokens.set(key, token);
    }
    return token;
  }

  /**
   * A Kafka token of the tenant, as its client would get one: through the gateway, with a token of
   * one of its clients (scope infer). `via` is another credential of the tenant to ask with.
   */
  async kafkaToken(tenantId: string, via?: string): Promise<KafkaTokenGrant> {
    const credential = via ?? (await this.token({ tenantId, scopes: ['infer'] }));
    const answer = await this.call('POST', '/admin/kafka/token', credential);
    if (answer.status !== 200) throw new Error(`Kafka token of ${tenantId}: HTTP ${answer.status} ${answer.text}`);
    this.rememberSecret(answer.json.token, `a Kafka token of ${tenantId}`);
    return answer.json as KafkaTokenGrant;
  }

  /** A request to the gateway; JSON bodies are sent as JSON. */
  async call(method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}) {
    const isRaw = body instanceof Uint8Array || body instanceof FormData;
    const response = await fetch(`${this.gatewayUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined && !isRaw ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : isRaw ? (body as NonNullable<RequestInit['body']>) : JSON.stringify(body),
    });
    const text = await response.text();
    let json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON shapes
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json, text };
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** Where the registry's role connects: the operator's server, as that role. */
  get registryDatabaseServer(): string {
    const url = new URL(POSTGRES_URL);
    url.username = this.databaseRole;
    url.password = '';
    return url.toString().replace(/\/$/, '');
  }

  private async ensureDatabaseRole(): Promise<void> {
    const client = new Client({ connectionString: `${POSTGRES_URL}/postgres` });
    await client.connect();
    try {
      await ensureServiceRole(client, this.databaseRole, this.databaseRolePassword);
    } finally {
      await client.end();
    }
  }

  private async dropDatabase(): Promise<void> {
    const client = new Client({ connectionString: `${POSTGRES_URL}/postgres` });
    await client.connect();
    try {
      for (const region of this.regionStores) await client.query(`DROP DATABASE IF EXISTS "${this.regionDatabase(region)}" WITH (FORCE)`);
      await client.query(`DROP DATABASE IF EXISTS "${this.database}" WITH (FORCE)`);
      await client.query(`DROP ROLE IF EXISTS "${this.databaseRole}"`);
    } finally {
      await client.end();
    }
  }

  /** Deletes every Redis key of this run: what a Redis restart without persistence does to it. */
  flushRedis(): Promise<void> {
    return this.deleteKeys();
  }

  private async deleteKeys(): Promise<void> {
    const redis = this.adminRedis('falaj-suite:cleanup');
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 500);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  }

  /** The apps' ACLs for this run's prefix, granted by the operator, as `npm start` grants them for `falaj`. */
  private async grantKafkaAcls(streamPrefix: string): Promise<void> {
    if (this.aclRules.length > 0 || TEST_KAFKA.security === 'plaintext') return;
    this.streamPrefix = streamPrefix;
    this.aclRules = kafkaAclPolicy(this.prefix, streamPrefix);
    const admin = testKafka('falaj-suite-acls').admin();
    await admin.connect();
    try {
      await applyKafkaAcls(admin, this.aclRules);
    } finally {
      await admin.disconnect();
    }
  }

  private async revokeKafkaAcls(): Promise<void> {
    if (this.aclRules.length === 0) return;
    const admin = testKafka('falaj-suite-acls').admin();
    await admin.connect();
    try {
      await removeKafkaAcls(admin, this.aclRules);
      // The run's tenants' grants (the registry made them with each tenant; a test need not delete its tenants).
      await removeTenantKafkaAcls(admin, this.streamPrefix);
    } finally {
      await admin.disconnect();
    }
  }

  private async deleteTopics(): Promise<void> {
    const admin = testKafka('falaj-suite').admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${this.prefix}.`));
      if (topics.length > 0) await admin.deleteTopics({ topics });
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(this.prefix));
      if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
  }
}
