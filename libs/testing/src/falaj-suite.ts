import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { SCOPES, TokenService, type Principal } from '@falaj/auth';
import { AppProcess, type AppName } from './app-process';
import { freePorts } from './free-port';

export interface SuiteOptions {
  /** Extra environment per app, e.g. a small upload limit for the registry. */
  env?: Partial<Record<AppName, NodeJS.ProcessEnv>>;
  /** CPU workers in the pool (default 1); the second is named `cpu-worker-2`, and so on. */
  cpuWorkers?: number;
  /** Node flags per app, e.g. `--cpu-prof` for a profile. */
  nodeArgs?: Partial<Record<AppName, string[]>>;
  /** Extra environment per CPU worker, first worker first (e.g. `{ FALAJ_REGION: 'eu' }`). */
  cpuWorkerEnv?: NodeJS.ProcessEnv[];
}

const KAFKA_BROKERS = process.env.FALAJ_KAFKA_BROKERS ?? '127.0.0.1:9092';
const REDIS_URL = process.env.FALAJ_REDIS_URL ?? 'redis://127.0.0.1:6379';
const POSTGRES_URL = process.env.FALAJ_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

/**
 * The five apps, started from the build output against the real Postgres, Redis and Kafka, with
 * a prefix, database and folders of their own, so a test run never touches a running
 * `npm start` and leaves nothing behind.
 */
export class FalajSuite {
  readonly prefix = `falajtest-${randomBytes(4).toString('hex')}`;
  readonly database = `falaj_e2e_${randomBytes(4).toString('hex')}`;
  readonly databaseUrl = `${POSTGRES_URL}/${this.database}`;
  readonly secret = randomBytes(32).toString('hex');
  readonly tokens = new TokenService(this.secret);
  readonly workDir = mkdtempSync(join(tmpdir(), 'falaj-e2e-'));
  readonly apps = new Map<string, AppProcess>();
  private readonly appEnv = new Map<string, { app: AppName; env: NodeJS.ProcessEnv; logs: string; health: string; nodeArgs: string[] }>();
  gatewayUrl = '';
  registryUrl = '';
  /** The gateway's OIP gRPC service, `host:port`. */
  grpcAddress = '';

  async start(options: SuiteOptions = {}): Promise<void> {
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

  private async startOnce(options: SuiteOptions): Promise<void> {
    const extraWorkers = Math.max(0, (options.cpuWorkers ?? 1) - 1);
    const [gateway, registry, router, cpu, gpu, grpc, ...moreCpu] = await freePorts(6 + extraWorkers);
    this.gatewayUrl = `http://127.0.0.1:${gateway}`;
    this.grpcAddress = `127.0.0.1:${grpc}`;
    this.registryUrl = `http://127.0.0.1:${registry}`;
    const common: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      FALAJ_PREFIX: this.prefix,
      FALAJ_JWT_SECRET: this.secret,
      FALAJ_KAFKA_BROKERS: KAFKA_BROKERS,
      FALAJ_REDIS_URL: REDIS_URL,
      FALAJ_LOG_LEVEL: 'log',
      FALAJ_EXIT_WITH_PARENT: 'true',
    };
    const logs = join(this.workDir, 'logs');
    const add = (name: string, app: AppName, env: NodeJS.ProcessEnv, health: string) => {
      const nodeArgs = options.nodeArgs?.[app] ?? [];
      this.appEnv.set(name, { app, env: { ...common, ...env, ...options.env?.[app] }, logs, health, nodeArgs });
      this.apps.set(name, new AppProcess(name, app, { ...common, ...env, ...options.env?.[app] }, logs, health, nodeArgs));
    };
    add('registry', 'registry', {
      FALAJ_REGISTRY_PORT: String(registry),
      FALAJ_DATABASE_URL: this.databaseUrl,
      FALAJ_ARTIFACT_DIR: join(this.workDir, 'artifacts'),
    }, `${this.registryUrl}/health/ready`);
    add('router', 'router', { FALAJ_ROUTER_PORT: String(router) }, `http://127.0.0.1:${router}/health/ready`);
    for (let n = 1; n <= (options.cpuWorkers ?? 1); n++) {
      const port = n === 1 ? cpu : moreCpu[n - 2];
      add(n === 1 ? 'cpu-worker' : `cpu-worker-${n}`, 'cpu-worker', {
        FALAJ_WORKER_PORT: String(port),
        FALAJ_REGISTRY_URL: this.registryUrl,
        FALAJ_MODEL_CACHE_DIR: join(this.workDir, `cache-cpu-${n}`),
        ...options.cpuWorkerEnv?.[n - 1],
      }, `http://127.0.0.1:${port}/health/ready`);
    }
    add('gpu-worker', 'gpu-worker', {
      FALAJ_WORKER_PORT: String(gpu),
      FALAJ_REGISTRY_URL: this.registryUrl,
      FALAJ_MODEL_CACHE_DIR: join(this.workDir, 'cache-gpu'),
    }, `http://127.0.0.1:${gpu}/health/live`);
    add('gateway', 'gateway', { FALAJ_GATEWAY_PORT: String(gateway), FALAJ_GRPC_PORT: String(grpc), FALAJ_REGISTRY_URL: this.registryUrl }, `${this.gatewayUrl}/v2/health/ready`);
    for (const app of this.apps.values()) app.start();
    try {
      await Promise.all([...this.apps.values()].map((app) => app.waitHealthy()));
    } catch (error) {
      throw new Error(`${(error as Error).message}\n(logs in ${logs})`);
    }
  }

  /** Stops every app as Ctrl-C would and removes the run's database, keys, topics and files. */
  async stop(): Promise<Record<string, boolean>> {
    const graceful: Record<string, boolean> = {};
    await Promise.all([...this.apps].map(async ([name, app]) => (graceful[name] = (await app.stop()).graceful)));
    await Promise.allSettled([this.dropDatabase(), this.deleteKeys(), this.deleteTopics()]);
    if (!process.env.FALAJ_KEEP_E2E) rmSync(this.workDir, { recursive: true, force: true });
    return graceful;
  }

  /** Stops one app and starts it again with some variables changed (e.g. a worker's batching switch). */
  async restartApp(name: string, env: NodeJS.ProcessEnv): Promise<void> {
    const spec = this.appEnv.get(name);
    if (!spec) throw new Error(`no app ${name}`);
    await this.app(name).stop();
    spec.env = { ...spec.env, ...env };
    const app = new AppProcess(name, spec.app, spec.env, spec.logs, spec.health, spec.nodeArgs);
    this.apps.set(name, app);
    app.start();
    await app.waitHealthy();
  }

  app(name: string): AppProcess {
    const app = this.apps.get(name);
    if (!app) throw new Error(`no app ${name}`);
    return app;
  }

  token(principal: Partial<Principal> & { tenantId: string }, ttlSeconds = 3600): Promise<string> {
    return this.tokens.sign({ subject: 'e2e', scopes: [], ...principal }, ttlSeconds);
  }

  platformAdminToken(): Promise<string> {
    return this.token({ subject: 'e2e-admin', tenantId: '_platform', scopes: [SCOPES.platformAdmin] });
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

  private async dropDatabase(): Promise<void> {
    const client = new Client({ connectionString: `${POSTGRES_URL}/postgres` });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS "${this.database}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
  }

  /** Deletes every Redis key of this run: what a Redis restart without persistence does to it. */
  flushRedis(): Promise<void> {
    return this.deleteKeys();
  }

  private async deleteKeys(): Promise<void> {
    const redis = new Redis(REDIS_URL);
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

  private async deleteTopics(): Promise<void> {
    const admin = new Kafka({ brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
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
