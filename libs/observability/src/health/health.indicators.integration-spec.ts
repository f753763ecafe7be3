import { Test } from '@nestjs/testing';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { freePorts, testKafka } from '@falaj/testing';
import { HealthIndicators } from './health.indicators';
import { Readiness, healthProviders } from './readiness';

/**
 * The shared indicators against the real Redis, Kafka and Postgres of scripts/infra.sh, and
 * against addresses where nothing listens: a dependency that is away is down within the check's
 * bound, saying why, never a probe that hangs.
 */
const REDIS_URL = process.env.FALAJ_REDIS_URL ?? 'redis://127.0.0.1:6379';
const POSTGRES_URL = `${process.env.FALAJ_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432'}/postgres`;

describe(HealthIndicators.name, () => {
  const indicators = new HealthIndicators(new HealthIndicatorService());
  const redis = new Redis(REDIS_URL);
  const kafka = testKafka('health-indicators-spec');
  const db = new Client({ connectionString: POSTGRES_URL });
  let deadRedis: Redis;
  let deadKafka: Kafka;
  let deadDb: Client;

  beforeAll(async () => {
    const [redisPort, kafkaPort, pgPort] = await freePorts(3);
    deadRedis = new Redis({ port: redisPort, lazyConnect: true, retryStrategy: () => 200 });
    deadKafka = new Kafka({ clientId: 'dead', brokers: [`127.0.0.1:${kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 300 } });
    deadDb = new Client({ host: '127.0.0.1', port: pgPort, user: 'postgres' });
    await db.connect();
  });
  afterAll(async () => {
    await indicators.onApplicationShutdown();
    await redis.quit();
    deadRedis.disconnect();
    await db.end();
  });

  describe('up', () => {
    it('reports Redis, Kafka and Postgres up when they answer', async () => {
      await expect(indicators.redis('redis', redis)()).resolves.toEqual({ redis: { status: 'up' } });
      await expect(indicators.kafka('kafka', kafka)()).resolves.toEqual({ kafka: { status: 'up', brokers: 1 } });
      // Again, on the admin client kept connected: a round trip, not a TLS and SCRAM handshake.
      const again = Date.now();
      await expect(indicators.kafka('kafka', kafka)()).resolves.toEqual({ kafka: { status: 'up', brokers: 1 } });
      expect(Date.now() - again).toBeLessThan(500);
      await expect(indicators.postgres('postgres', db)()).resolves.toEqual({ postgres: { status: 'up' } });
    }, 30_000);
  });

  describe('down', () => {
    it('reports each dependency that is away down within the bound, saying why', async () => {
      const started = Date.now();
      const [r, k, p] = await Promise.all([
        indicators.redis('redis', deadRedis)(),
        indicators.kafka('kafka', deadKafka)(),
        indicators.postgres('postgres', {
          query: async (sql: string) => {
            await deadDb.connect();
            return deadDb.query(sql);
          },
        })(),
      ]);
      expect(Date.now() - started).toBeLessThan(2_000 + 1_000);
      expect(r.redis).toMatchObject({ status: 'down' });
      expect(k.kafka).toMatchObject({ status: 'down', message: expect.stringMatching(/no answer within 2000 ms|ECONNREFUSED|Connection/i) });
      expect(p.postgres).toMatchObject({ status: 'down', message: expect.stringMatching(/ECONNREFUSED|no answer/) });
    }, 30_000);

    it('reports a routing table not present (not read yet, or lost) down, and an empty one present up', async () => {
      await expect(indicators.routingTable('routes', { present: false, size: 3 })()).resolves.toMatchObject({
        routes: { status: 'down', models: 3, message: expect.stringMatching(/^no routing table in Redis/) },
      });
      await expect(indicators.routingTable('routes', { present: true, size: 0 })()).resolves.toEqual({ routes: { status: 'up', models: 0 } });
    });
  });

  it('runs one Kafka probe at a time per client: checks while one is in flight join it', async () => {
    let admins = 0;
    const counting = { admin: () => (admins++, deadKafka.admin()) } as unknown as Kafka;
    const check = indicators.kafka('kafka', counting);
    const answers = await Promise.all([check(), check(), check()]);
    expect(answers.every((a) => a.kafka.status === 'down')).toBe(true);
    expect(admins).toBe(1);
  }, 30_000);

  describe(Readiness.name, () => {
    it("is not ready (503 body) when one dependency is down, naming it, and keeps the others' state", async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [TerminusModule.forRoot({ logger: false })],
        providers: healthProviders({ useFactory: (health) => [health.redis('redis', redis), health.kafka('kafka', deadKafka)] }),
      }).compile();
      const report = await moduleRef.get(Readiness).ready();
      expect(report).toMatchObject({ ready: false, status: 'error', checks: { redis: { ok: true }, kafka: { ok: false } } });
      expect(report.error).toHaveProperty('kafka');
      expect(report.info).toHaveProperty('redis');
      const live = await moduleRef.get(Readiness).live();
      expect(live).toMatchObject({ live: true, checks: { eventLoop: { ok: true } } });
      await moduleRef.close();
    }, 30_000);
  });
});
