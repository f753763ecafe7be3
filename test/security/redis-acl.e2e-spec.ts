import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { SCOPES } from '@falaj/auth';
import {
  apiKeysKey,
  BATCH_RUNS_QUEUE,
  bullPrefix,
  encodeDispatchEntry,
  poolStreamKey,
  replyStreamKey,
  revocationsChangedChannel,
  revocationsKey,
  routingChangedChannel,
  routingTableKey,
} from '@falaj/contracts';
import { REDIS_APP_ROLES, redisConnectionOptions, type RedisAppRole, type RedisEndpoint } from '@falaj/messaging';
import { FalajSuite, eventually, repoRoot } from '@falaj/testing';
import { offsetModel } from '../support/onnx-fixtures';

/**
 * The backbone review's attacks through Redis alone, against the project's TLS Redis with the
 * run's per-app ACL users and the five built apps on it: an API-key record written with
 * `platform:admin`, other tenants' replies read, a pool stream fed a request that names its own
 * reply stream. Each is tried with no credentials and as every app user not entitled to it; each
 * is refused (NOAUTH, NOPERM) and leaves nothing behind, while the apps themselves still serve.
 */
describe('Redis: TLS and an ACL user per app (e2e)', () => {
  const suite = new FalajSuite();
  const opened: Redis[] = [];
  const noCredentials = (): RedisEndpoint => ({ url: suite.redis.url, ca: suite.redis.ca });
  const who: (RedisAppRole | 'nobody')[] = ['nobody', ...REDIS_APP_ROLES];
  const endpointOf = (as: RedisAppRole | 'nobody') => (as === 'nobody' ? noCredentials() : suite.redisEndpointOf(as));
  let token: string;

  /** A connection that reports failures at once instead of retrying. */
  const connect = (endpoint: RedisEndpoint, extra: Record<string, unknown> = {}): Redis => {
    const redis = new Redis(endpoint.url, {
      ...redisConnectionOptions(endpoint),
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
      ...extra,
    });
    redis.on('error', () => undefined);
    opened.push(redis);
    return redis;
  };
  /** Why a connection could not PING: the first error it emitted (ioredis rejects with 'Connection is closed'). */
  const refusal = async (redis: Redis): Promise<string> => {
    const first = new Promise<string>((resolve) => redis.once('error', (error: Error) => resolve(error.message)));
    const outcome = await redis
      .connect()
      .then(() => redis.ping())
      .then(
        () => 'PONG',
        (error: Error) => error.message,
      );
    return outcome === 'PONG' ? outcome : Promise.race([first, new Promise<string>((resolve) => setTimeout(() => resolve(outcome), 2000))]);
  };
  /** What Redis answers: 'OK' when the command ran, else the error's first word (NOPERM, NOAUTH...). */
  const attempt = async (as: RedisAppRole | 'nobody', run: (redis: Redis) => Promise<unknown>): Promise<string> => {
    const redis = connect(endpointOf(as));
    try {
      await redis.connect();
      await run(redis);
      return 'OK';
    } catch (error) {
      return String((error as Error).message).split(' ')[0];
    } finally {
      redis.disconnect();
    }
  };
  /** Who, of nobody and the four app users, may do it. */
  const allowed = async (run: (redis: Redis) => Promise<unknown>): Promise<string[]> => {
    const answers = await Promise.all(who.map(async (as) => [as, await attempt(as, run)] as const));
    for (const [as, answer] of answers) if (answer !== 'OK') expect([as, answer]).toEqual([as, as === 'nobody' ? 'NOAUTH' : 'NOPERM']);
    return answers.filter(([, answer]) => answer === 'OK').map(([as]) => as);
  };
  const infer = (value: number) => suite.call('POST', '/v2/models/scorer/infer', token, { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [value, value, value, value] }] });

  beforeAll(async () => {
    expect(suite.redis.url).toMatch(/^rediss:\/\//); // the secure path is the one under test
    await suite.start();
    const admin = await suite.platformAdminToken();
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'acme', name: 'acme', residency: 'ae' })).status).toBe(201);
    token = await suite.token({ tenantId: 'acme', scopes: [SCOPES.infer, SCOPES.modelsRead, SCOPES.modelsWrite] });
    expect((await suite.call('POST', '/admin/models', token, { name: 'scorer' })).status).toBe(201);
    expect((await suite.call('POST', '/admin/models/scorer/versions', token, offsetModel(1000), { 'content-type': 'application/octet-stream' })).status).toBe(201);
    expect((await suite.call('POST', '/admin/models/scorer/versions/1/stage', token, { stage: 'production' })).status).toBe(200);
    await eventually('scorer ready', async () => ((await suite.call('GET', '/v2/models/scorer/ready', token)).status === 200 ? true : undefined), Number(process.env.T ?? 120_000));
  }, 240_000);

  afterAll(async () => {
    for (const redis of opened) redis.disconnect();
    await suite.stop();
  }, 60_000);

  it('serves an inference end to end with every app on TLS as its own user', async () => {
    const answer = await infer(1);
    expect(answer.status).toBe(200);
    expect(answer.json.outputs[0].data).toEqual([1001, 1001, 1001, 1001]);
  });

  describe("the review's attacks", () => {
    it('refuses an API-key record with platform:admin to everyone but the registry, which owns them', async () => {
      const key = apiKeysKey(suite.prefix);
      const record = JSON.stringify({ id: 'forged', tenantId: '_platform', scopes: [SCOPES.platformAdmin], hash: '00' });
      // The registry writes the records; the record it writes still grants only tenant scopes (libs/auth).
      expect(await allowed((r) => r.hset(key, 'forged-probe', record).then(() => r.hdel(key, 'forged-probe')))).toEqual(['registry']);
      const admin = connect(suite.redis);
      expect(await admin.hget(key, 'forged-probe')).toBeNull();
    });

    it('refuses reply streams to all but their readers (gateway, router, registry), and their pattern subscription to everyone', async () => {
      const stream = replyStreamKey(suite.prefix, 'gateway-victim');
      expect(await allowed((r) => r.xread('COUNT', 1, 'STREAMS', stream, '0-0'))).toEqual(['gateway', 'router', 'registry']);
      expect(await allowed((r) => r.psubscribe(`${suite.prefix}:replies:*`))).toEqual([]);
      expect(await allowed((r) => r.psubscribe('*'))).toEqual([]);
    });

    it("refuses a request on a pool stream to all but the gateway, router and registry, and a worker's reply to all but workers", async () => {
      const pool = poolStreamKey(suite.prefix, 'cpu.ae');
      const admin = connect(suite.redis);
      const before = await admin.xlen(pool);
      const entry = encodeDispatchEntry({
        dispatchId: 'attack',
        requestId: 'attack',
        replyTo: 'attacker',
        tenantId: 'acme',
        model: 'scorer',
        version: 1,
        deadline: Date.now() + 60_000,
        inputs: [],
        outputs: [],
      });
      // Written into a stream of a pool that has no workers, so the entitled writers' probes run nothing.
      const idle = poolStreamKey(suite.prefix, 'nobody.xx');
      // The registry dispatches job rows as the gateway and the router dispatch calls.
      expect(await allowed((r) => r.xadd(idle, 'MAXLEN', '~', 10, '*', ...entry))).toEqual(['gateway', 'router', 'registry']);
      expect(await admin.xlen(pool)).toBe(before);
      expect(await allowed((r) => r.xadd(replyStreamKey(suite.prefix, 'nobody-listens'), '*', 'reply', 'x'))).toEqual(['worker']);
      expect(await allowed((r) => r.xreadgroup('GROUP', `${suite.prefix}-workers`, 'thief', 'COUNT', 1, 'STREAMS', pool, '>'))).toEqual(['worker']);
    });
  });

  it("keeps the batch queue to the registry, its one producer and consumer: no worker's user touches it", async () => {
    // Chunks name only a job and a chunk; what runs is read from Postgres, and only the registry runs it.
    const key = `${bullPrefix(suite.prefix)}:${BATCH_RUNS_QUEUE}:probe`;
    expect(await allowed((r) => r.incr(key).then(() => r.del(key)))).toEqual(['registry']);
  });

  describe("an app's credentials, used for another app's work", () => {
    it('refuses the routing table to every writer but the router', async () => {
      const table = routingTableKey(suite.prefix);
      const route = JSON.stringify({ tenantId: 'acme', model: 'scorer', targets: [{ version: 1, weight: 100, pool: 'cpu.ae' }] });
      expect(await allowed((r) => r.hset(table, 'probe/probe', route).then(() => r.hdel(table, 'probe/probe')))).toEqual(['router']);
      expect(await allowed((r) => r.publish(routingChangedChannel(suite.prefix), '*'))).toEqual(['router']);
      expect(await allowed((r) => r.hgetall(table))).toEqual(['gateway', 'router', 'registry']);
    });

    it('keeps API-key records and revocations from workers', async () => {
      expect(await allowed((r) => r.hget(apiKeysKey(suite.prefix), 'any'))).toEqual(['gateway', 'router', 'registry']);
      expect(await allowed((r) => r.hgetall(revocationsKey(suite.prefix)))).toEqual(['gateway', 'router', 'registry']);
      expect(await allowed((r) => r.subscribe(revocationsChangedChannel(suite.prefix)))).toEqual(['gateway', 'router', 'registry']);
      expect(await allowed((r) => r.hset(revocationsKey(suite.prefix), 'client:probe', '1').then(() => r.hdel(revocationsKey(suite.prefix), 'client:probe')))).toEqual(['registry']);
    });

    it('gives no app user a key outside its prefix, nor the commands that reach every key', async () => {
      expect(await allowed((r) => r.get('falaj:apikeys:v1'))).toEqual([]);
      expect(await allowed((r) => r.keys('*'))).toEqual([]);
      expect(await allowed((r) => r.flushall())).toEqual([]);
      expect(await allowed((r) => r.config('GET', 'requirepass'))).toEqual([]);
      expect(await allowed((r) => r.call('ACL', 'LIST'))).toEqual([]);
    });

    it('refuses a wrong password for a real user', async () => {
      const redis = connect({ ...suite.redisEndpointOf('registry'), password: 'not-the-password' });
      expect(await refusal(redis)).toMatch(/^WRONGPASS/);
    });
  });

  describe('TLS', () => {
    const foreign = mkdtempSync(join(tmpdir(), 'falaj-foreign-ca-'));
    beforeAll(() => execFileSync('bash', [join(repoRoot(), 'scripts/dev/ca.sh'), foreign, 'intruder']));
    afterAll(() => rmSync(foreign, { recursive: true, force: true }));

    it('answers nothing over plain TCP on the TLS port', async () => {
      const redis = connect({ url: suite.redis.url.replace(/^rediss:/, 'redis:') }, { connectTimeout: 5000 });
      expect(await refusal(redis)).not.toBe('PONG');
    });

    it('is refused by a client that trusts another CA', async () => {
      const redis = connect({ ...suite.redisEndpointOf('gateway'), ca: readFileSync(join(foreign, 'ca.crt'), 'utf8') });
      expect(await refusal(redis)).toMatch(/certificate/);
      // The same user with the right CA gets in: it is the certificate that was refused.
      expect(await refusal(connect(suite.redisEndpointOf('gateway')))).toBe('PONG');
    });

    it('refuses a client certificate from another CA', async () => {
      const redis = connect(suite.redisEndpointOf('gateway'), {
        tls: { ca: suite.redis.ca, cert: readFileSync(join(foreign, 'intruder.crt')), key: readFileSync(join(foreign, 'intruder.key')) },
      });
      expect(await refusal(redis)).not.toBe('PONG');
    });
  });

  it('writes no Redis password into any app log', async () => {
    expect((await infer(2)).status).toBe(200);
    const logs = join(suite.workDir, 'logs');
    const text = readdirSync(logs)
      .map((f) => readFileSync(join(logs, f), 'utf8'))
      .join('\n');
    expect(text.length).toBeGreaterThan(1000);
    for (const role of REDIS_APP_ROLES) expect(text).not.toContain(suite.redisEndpointOf(role).password);
    expect(text).not.toContain(suite.redis.password);
  });
});
