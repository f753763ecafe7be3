import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Consumer } from 'kafkajs';
import { MIRRORED_HASH_PRESENT_FIELD, inferenceStreamTopics, modelQuotaField, quotasKey, tenantQuotaField, tenantReplyTopicNamespace } from '@falaj/contracts';
import { FalajSuite, eventually, testKafka } from '@falaj/testing';

/**
 * Quotas as records, against the five built apps: set, read and removed through the gateway's
 * admin API while traffic flows, applied by the gateway (REST) and the router's Kafka bridge
 * without a restart; no FALAJ_QUOTAS at all, so without a record everything is unlimited.
 */
const MODEL = join(__dirname, '..', 'models', 'tiny-mlp.onnx');
const BODY = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] };
const octet = { 'content-type': 'application/octet-stream' };

describe('Quotas as records (e2e)', () => {
  const suite = new FalajSuite();
  const kafka = testKafka('e2e-quotas');
  let consumer: Consumer | undefined;
  let admin: string;
  /** The tenant's operator: infer, models:read/write, deployments:write. */
  let operator: string;
  /** Reads models and infers; may not set quotas. */
  let reader: string;

  const burst = (n: number, model = 'scorer') => Promise.all(Array.from({ length: n }, () => suite.call('POST', `/v2/models/${model}/infer`, operator, BODY)));
  const statuses = (answers: { status: number }[]) => answers.map((a) => a.status);

  beforeAll(async () => {
    await suite.start();
    admin = await suite.platformAdminToken();
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'acme', name: 'Acme', residency: 'ae' })).status).toBe(201);
    operator = await suite.token({ tenantId: 'acme', subject: 'ops', scopes: ['infer', 'models:read', 'models:write', 'deployments:write'] });
    reader = await suite.token({ tenantId: 'acme', subject: 'viewer', scopes: ['infer', 'models:read'] });
    for (const model of ['scorer', 'capped']) {
      expect((await suite.call('POST', '/admin/models', operator, { name: model })).status).toBe(201);
      expect((await suite.call('POST', `/admin/models/${model}/versions`, operator, readFileSync(MODEL), octet)).status).toBe(201);
      expect((await suite.call('POST', `/admin/models/${model}/versions/1/stage`, operator, { stage: 'production' })).status).toBe(200);
      await eventually(`${model} ready`, async () => ((await suite.call('GET', `/v2/models/${model}/ready`, operator)).status === 200 ? true : undefined), 60_000);
    }
  }, 180_000);

  afterAll(async () => {
    await consumer?.disconnect();
    await suite.stop();
  }, 60_000);

  describe('tenant quota', () => {
    it('applies a quota set by a platform admin within a second or two: 429 with Retry-After beyond its bucket, no restart', async () => {
      expect(statuses(await burst(20))).toEqual(Array(20).fill(200));
      const put = await suite.call('PUT', '/admin/tenants/acme/quota', admin, { rps: 1, burst: 5, concurrency: 32 });
      expect(put.status).toBe(200);
      expect(put.json).toEqual({ rps: 1, burst: 5, concurrency: 32 });
      const set = Date.now();
      await eventually('the first 429', async () => ((await burst(10)).some((a) => a.status === 429) ? true : undefined), 3000, 20);
      const appliedMs = Date.now() - set;
      process.stdout.write(`tenant quota applied by the gateway ${appliedMs} ms after PUT answered\n`);
      expect(appliedMs).toBeLessThan(2000);
      // The bucket is spent: at 1 token a second, a burst gets at most a token or two.
      const answers = await burst(10);
      const limited = answers.filter((a) => a.status === 429);
      expect(limited.length).toBeGreaterThanOrEqual(8);
      expect(answers.every((a) => a.status === 200 || a.status === 429)).toBe(true);
      expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // The one refusal text of every entry point, saying the same seconds as Retry-After.
      expect(limited[0].json).toEqual({ error: `rate limit exceeded for tenant 'acme' on model 'scorer'; retry after ${limited[0].headers.get('retry-after')} s`, code: 'quota_exceeded' });
      expect((await suite.call('GET', '/admin/tenants/acme/quota', admin)).json).toEqual({ rps: 1, burst: 5, concurrency: 32 });
    }, 60_000);

    it('is lifted by DELETE: unlimited again, as without FALAJ_QUOTAS', async () => {
      const removed = await suite.call('DELETE', '/admin/tenants/acme/quota', admin);
      expect(removed.status).toBe(204);
      await eventually('unlimited again', async () => ((await burst(20)).every((a) => a.status === 200) ? true : undefined), 3000, 20);
      const read = await suite.call('GET', '/admin/tenants/acme/quota', admin);
      expect(read.status).toBe(404);
      expect(read.json).toEqual({ error: "tenant 'acme' has no quota record (the gateways' FALAJ_QUOTAS applies)", code: 'quota_not_found' });
      expect((await suite.call('DELETE', '/admin/tenants/acme/quota', admin)).status).toBe(204);
    }, 30_000);
  });

  describe('model quota', () => {
    it("limits that model only, set by the tenant's operator", async () => {
      const put = await suite.call('PUT', '/admin/models/capped/quota', operator, { rps: 1, burst: 3 });
      expect(put.status).toBe(200);
      expect((await suite.call('GET', '/admin/models/capped/quota', reader)).json).toEqual({ rps: 1, burst: 3 });
      const answers = await eventually(
        '429s on capped',
        async () => {
          const got = await burst(10, 'capped');
          return got.some((a) => a.status === 429) ? got : undefined;
        },
        3000,
        20,
      );
      expect(answers.find((a) => a.status === 429)?.json.error).toMatch(/^rate limit exceeded for tenant 'acme' on model 'capped'; retry after [1-9][0-9]* s$/);
      expect(statuses(await burst(20, 'scorer'))).toEqual(Array(20).fill(200));
    }, 30_000);

    it('is honoured by the Kafka bridge: a 429 on the tenant reply topic, with retry-after', async () => {
      const topics = inferenceStreamTopics(suite.prefix);
      const answers = new Map<string, { status: string; retryAfter?: string; error?: string; code?: string }>();
      consumer = kafka.consumer({ groupId: `${suite.prefix}-e2e-quotas`, readUncommitted: false });
      await consumer.connect();
      await consumer.subscribe({ topic: tenantReplyTopicNamespace(suite.prefix, 'acme'), fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const headers = message.headers ?? {};
          const { error, code } = JSON.parse(message.value!.toString()) as { error?: string; code?: string };
          answers.set(message.key!.toString(), { status: String(headers.status), retryAfter: headers['retry-after']?.toString(), error, code });
        },
      });
      const producer = kafka.producer();
      await producer.connect();
      try {
        await producer.send({
          topic: topics.requests,
          messages: Array.from({ length: 10 }, (_, i) => ({ key: `quota-${i}`, value: JSON.stringify({ model_name: 'capped', ...BODY }), headers: { authorization: `Bearer ${operator}` } })),
        });
      } finally {
        await producer.disconnect();
      }
      const got = await eventually('10 answers', async () => (answers.size >= 10 ? [...answers.values()] : undefined), 60_000);
      const limited = got.filter((a) => a.status === '429');
      // The bucket REST just drew from is the same one: at most a few tokens are back.
      expect(limited.length).toBeGreaterThanOrEqual(6);
      expect(got.every((a) => a.status === '200' || a.status === '429')).toBe(true);
      expect(Number(limited[0].retryAfter)).toBeGreaterThanOrEqual(1);
      expect(limited[0].error).toContain("rate limit exceeded for tenant 'acme' on model 'capped'");
      expect(limited[0].code).toBe('quota_exceeded');
    }, 90_000);

    it('is lifted by DELETE', async () => {
      expect((await suite.call('DELETE', '/admin/models/capped/quota', operator)).status).toBe(204);
      await eventually('capped unlimited', async () => ((await burst(20, 'capped')).every((a) => a.status === 200) ? true : undefined), 3000, 20);
      expect((await suite.call('GET', '/admin/models/capped/quota', reader)).status).toBe(404);
    }, 30_000);
  });

  describe('refusals', () => {
    it('lets only a platform admin set a tenant quota, and only deployments:write a model quota (403)', async () => {
      const byTenant = await suite.call('PUT', '/admin/tenants/acme/quota', operator, { rps: 1000, burst: 1000 });
      expect(byTenant.status).toBe(403);
      expect(byTenant.json.error).toContain('platform:admin');
      expect(byTenant.json.code).toBe('forbidden');
      expect((await suite.call('DELETE', '/admin/tenants/acme/quota', operator)).status).toBe(403);
      const byReader = await suite.call('PUT', '/admin/models/capped/quota', reader, { rps: 1000, burst: 1000 });
      expect(byReader.status).toBe(403);
      expect(byReader.json.error).toContain('deployments:write');
    });

    it('answers 400 naming the problem for a bad body, and stores nothing', async () => {
      const cases: [string, unknown, string][] = [
        ['/admin/tenants/acme/quota', { rps: 5 }, 'burst: rps and burst go together: burst is missing'],
        ['/admin/tenants/acme/quota', { rps: 'fast', burst: 2 }, 'rps: '],
        ['/admin/tenants/acme/quota', { rps: 1, burst: 2, concurrency: 0 }, 'concurrency: '],
        ['/admin/tenants/acme/quota', { rps: 1, burst: 2, rpm: 60 }, '"rpm"'],
        ['/admin/tenants/acme/quota', {}, 'a quota sets rps and burst, concurrency, or both'],
        ['/admin/models/capped/quota', { rps: 1, burst: 2, concurrency: 3 }, '"concurrency"'],
        ['/admin/models/capped/quota', { rps: 1 }, 'burst: '],
      ];
      for (const [path, body, problem] of cases) {
        const answer = await suite.call('PUT', path, path.includes('tenants') ? admin : operator, body);
        expect({ path, body, status: answer.status }).toEqual({ path, body, status: 400 });
        expect(answer.json.error).toContain(problem);
      }
      expect((await suite.call('GET', '/admin/tenants/acme/quota', admin)).status).toBe(404);
      expect((await suite.call('GET', '/admin/models/capped/quota', reader)).status).toBe(404);
    });

    it('answers 404 for an unknown tenant or model', async () => {
      const tenant = await suite.call('PUT', '/admin/tenants/ghost/quota', admin, { rps: 1, burst: 1 });
      expect(tenant.status).toBe(404);
      expect(tenant.json).toEqual({ error: "tenant 'ghost' not found", code: 'tenant_not_found' });
      expect((await suite.call('GET', '/admin/tenants/ghost/quota', admin)).status).toBe(404);
      const model = await suite.call('PUT', '/admin/models/ghost/quota', operator, { rps: 1, burst: 1 });
      expect(model.status).toBe(404);
      expect(model.json).toEqual({ error: "model 'ghost' not found", code: 'model_not_found' });
      expect((await suite.call('DELETE', '/admin/models/ghost/quota', operator)).status).toBe(404);
    });
  });

  describe('model deletion', () => {
    it("takes the model's record out of the mirror, so a namesake starts without it", async () => {
      expect((await suite.call('POST', '/admin/models', operator, { name: 'brief' })).status).toBe(201);
      expect((await suite.call('PUT', '/admin/models/brief/quota', operator, { rps: 1, burst: 1 })).status).toBe(200);
      const redis = suite.adminRedis();
      try {
        expect(await redis.hexists(quotasKey(suite.prefix), modelQuotaField('acme', 'brief'))).toBe(1);
        expect((await suite.call('DELETE', '/admin/models/brief', operator)).status).toBe(204);
        expect(await redis.hexists(quotasKey(suite.prefix), modelQuotaField('acme', 'brief'))).toBe(0);
      } finally {
        redis.disconnect();
      }
      expect((await suite.call('POST', '/admin/models', operator, { name: 'brief' })).status).toBe(201);
      expect((await suite.call('GET', '/admin/models/brief/quota', reader)).status).toBe(404);
    });
  });

  describe('mirror healing', () => {
    it('writes the Redis mirror back whole from Postgres when Redis loses it, with no restart', async () => {
      expect((await suite.call('PUT', '/admin/tenants/acme/quota', admin, { concurrency: 64 })).status).toBe(200);
      const redis = suite.adminRedis();
      try {
        await redis.del(quotasKey(suite.prefix));
        const healed = await eventually(
          'the quota hash rewritten',
          async () => {
            const hash = await redis.hgetall(quotasKey(suite.prefix));
            return Object.keys(hash).length > 0 ? hash : undefined;
          },
          30_000,
          500,
        );
        // With the field that tells readers the hash is the registry's whole one, not a lost one.
        expect(healed).toEqual({ [MIRRORED_HASH_PRESENT_FIELD]: '1', [tenantQuotaField('acme')]: JSON.stringify({ concurrency: 64 }) });
      } finally {
        redis.disconnect();
      }
    }, 60_000);
  });
});
