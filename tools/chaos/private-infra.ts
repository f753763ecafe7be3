import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, repoRoot } from '@falaj/testing';

/** The machine's shared services: a fault must never reach one of them. */
const run = promisify(execFile);

const SHARED_PORTS = new Set([5432, 6379, 6380, 9092, 9093]);
const PG_BIN = process.env.FALAJ_CHAOS_PG_BIN ?? '/usr/local/bin';
/** initdb and postgres refuse to run as root: the cluster belongs to this account then. */
const PG_USER = process.env.FALAJ_CHAOS_PG_USER ?? 'postgres';

/**
 * The chaos run's own Postgres, TLS Redis and Kafka broker under /tmp/falaj-chaos, on ports of
 * their own: the faults stop and restart these, never the machine's shared ones, which other
 * people's tests use. Redis and Kafka come from scripts/infra.sh with FALAJ_STATE_DIR and port
 * overrides; Postgres from initdb/pg_ctl, set up as infra.sh sets up the machine's (TLS from the
 * state dir's development CA, the apps' roles SCRAM over TLS only, the superuser trusted on loopback).
 */
export class PrivateInfra {
  readonly root = process.env.FALAJ_CHAOS_DIR ?? '/tmp/falaj-chaos';
  readonly stateDir = join(this.root, 'state');
  private readonly pgData = join(this.root, 'pg');
  ports = { postgres: 0, redis: 0, kafka: 0, controller: 0 };
  private started = { postgres: false, redis: false, kafka: false };

  async up(log: (line: string) => void): Promise<void> {
    const [postgres, redis, kafka, controller] = await freePorts(4);
    this.ports = { postgres, redis, kafka, controller };
    for (const port of Object.values(this.ports)) if (SHARED_PORTS.has(port)) throw new Error(`chaos: port ${port} is a shared service's`);
    rmSync(this.root, { recursive: true, force: true });
    mkdirSync(this.stateDir, { recursive: true });
    log(`private Postgres :${postgres}, TLS Redis :${redis}, Kafka :${kafka} (controller :${controller}) under ${this.root}`);
    this.initPostgres();
    await this.startPostgres();
    await this.infra('up', 'redis-tls');
    this.started.redis = true;
    await this.startKafka();
  }

  /** What the suite (and its test helpers) read to find the backbone: all pointing here. */
  env(): Record<string, string> {
    return {
      FALAJ_STATE_DIR: this.stateDir,
      FALAJ_REDIS_TLS_PORT: String(this.ports.redis),
      FALAJ_TEST_REDIS_URL: `rediss://127.0.0.1:${this.ports.redis}`,
      FALAJ_KAFKA_PORT: String(this.ports.kafka),
      FALAJ_KAFKA_CONTROLLER_PORT: String(this.ports.controller),
      FALAJ_KAFKA_BROKERS: `127.0.0.1:${this.ports.kafka}`,
      FALAJ_TEST_POSTGRES_URL: `postgres://postgres@127.0.0.1:${this.ports.postgres}`,
    };
  }

  /** A restart loses every key: this Redis, like the machine's, keeps nothing on disk. */
  async restartRedis(): Promise<void> {
    await this.infra('down', 'redis-tls');
    await this.infra('up', 'redis-tls');
  }

  async stopKafka(): Promise<void> {
    await this.infra('down', 'kafka');
    this.started.kafka = false;
  }

  async startKafka(): Promise<void> {
    await this.infra('up', 'kafka');
    this.started.kafka = true;
  }

  async stopPostgres(): Promise<void> {
    await this.pgCtl('stop', '-m', 'fast');
    this.started.postgres = false;
  }

  async startPostgres(): Promise<void> {
    await this.pgCtl('start', '-l', join(this.pgData, 'postgres.log'));
    this.started.postgres = true;
  }

  /** Stops whatever of it runs (at the end, and on Ctrl-C); never throws. */
  async down(): Promise<void> {
    const quietly = (what: () => Promise<unknown>) => what().catch(() => undefined);
    if (this.started.kafka) await quietly(() => this.stopKafka());
    if (this.started.redis) await quietly(() => this.infra('down', 'redis-tls'));
    if (this.started.postgres) await quietly(() => this.stopPostgres());
    this.started = { postgres: false, redis: false, kafka: false };
  }

  private initPostgres(): void {
    const tls = join(this.stateDir, 'tls');
    execFileSync('bash', [join(repoRoot(), 'scripts/dev/ca.sh'), tls, 'postgres'], { stdio: ['ignore', 'ignore', 'inherit'] });
    mkdirSync(this.pgData, { recursive: true });
    if (process.getuid?.() === 0) execFileSync('chown', ['-R', `${PG_USER}:`, this.pgData]);
    execFileSync(...this.asPgUser(join(PG_BIN, 'initdb'), ['-D', this.pgData, '-U', 'postgres', '-A', 'trust', '--no-sync']), { stdio: ['ignore', 'ignore', 'inherit'] });
    copyFileSync(join(tls, 'postgres.crt'), join(this.pgData, 'server.crt'));
    copyFileSync(join(tls, 'postgres.key'), join(this.pgData, 'server.key'));
    chmodSync(join(this.pgData, 'server.key'), 0o600);
    appendFileSync(
      join(this.pgData, 'postgresql.conf'),
      [
        `port = ${this.ports.postgres}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${this.pgData}'`,
        'ssl = on',
        "ssl_cert_file = 'server.crt'",
        "ssl_key_file = 'server.key'",
        "ssl_min_protocol_version = 'TLSv1.2'",
        // A test cluster: durability on a crash of the machine is not what is tested.
        'fsync = off',
        'max_connections = 100',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(this.pgData, 'pg_hba.conf'),
      [
        'hostssl all +falaj_service 127.0.0.1/32 scram-sha-256',
        'host    all +falaj_service all          reject',
        'local   all all                         trust',
        'host    all all 127.0.0.1/32            trust',
        '',
      ].join('\n'),
    );
    if (process.getuid?.() === 0) execFileSync('chown', ['-R', `${PG_USER}:`, this.pgData]);
  }

  // Asynchronous, all of these: the load keeps running (and being timed) while a service stops or starts.
  private async pgCtl(...args: string[]): Promise<void> {
    await run(...this.asPgUser(join(PG_BIN, 'pg_ctl'), ['-D', this.pgData, '-w', '-t', '60', ...args])).catch((error: Error & { stderr?: string }) => {
      throw new Error(`pg_ctl ${args[0]} failed: ${error.stderr?.slice(-600) ?? error.message}`);
    });
  }

  private asPgUser(command: string, args: string[]): [string, string[]] {
    return process.getuid?.() === 0 ? ['runuser', ['-u', PG_USER, '--', command, ...args]] : [command, args];
  }

  private async infra(...args: string[]): Promise<void> {
    await run('bash', [join(repoRoot(), 'scripts/infra.sh'), ...args], { cwd: repoRoot(), env: { ...process.env, ...this.env() } }).catch((error: Error & { stderr?: string }) => {
      throw new Error(`infra.sh ${args.join(' ')} failed: ${error.stderr?.slice(-800) ?? error.message}`);
    });
  }
}
