import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { SCOPES } from '@falaj/auth';
import { inferenceStreamTopics, tenantReplyTopicNamespace } from '@falaj/contracts';
import { FalajSuite, OipGrpcClient, encodeBinaryInferRequest, eventually, testKafka } from '@falaj/testing';
import { addModel, expandModel } from '../support/onnx-fixtures';

/**
 * Issue 11, items 3, 4 and 9 (in flight), each attack performed on the real stack — the five built
 * apps against the real Kafka broker and Redis — by a client with ordinary tenant credentials:
 * reply topics that do not exist or are malformed, an answer the broker refuses, a producer
 * fenced under the bridge, an answer larger than Redis' pub/sub limit beside an unrelated call,
 * and bursts past the gateway's in-flight caps.
 */
const MODEL = join(__dirname, '..', '..', 'models', 'tiny-mlp.onnx');
const ROUTER_ID = `bridge-e2e-${randomBytes(3).toString('hex')}`;
/** The add model's tensor: 4 MB in, 4 MB out. */
const ADD_ELEMENTS = 1_000_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Received {
  key: string;
  status?: string;
  reason?: string;
}

interface Readiness {
  status: number;
  body: { ready: boolean; checks: Record<string, { ok: boolean; error?: string; status?: string }> };
}

describe('hostile input against the streaming bridge and the reply path (e2e)', () => {
  const suite = new FalajSuite();
  const topics = inferenceStreamTopics(suite.prefix);
  const kafka = testKafka('e2e-hostile-bridge');
  const producer = kafka.producer();
  const consumers: Consumer[] = [];
  /** Every message read (read_committed), by topic, then by key. */
  const received = new Map<string, Received[]>();
  const on = (topic: string, key: string) => (received.get(topic) ?? []).filter((m) => m.key === key);
  const replies = () => tenantReplyTopicNamespace(suite.prefix, 'acme');
  const tokens = { acme: '', globex: '' };

  const tinyInputs = [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }];
  const expandInputs = (cols: number) => [
    { name: 'x', shape: [1], datatype: 'FP32', data: [1.5] },
    { name: 'shape', shape: [2], datatype: 'INT64', data: [1, cols] },
  ];
  /** A streamed request of acme's on partition 0: one send of several is one batch of the bridge. */
  const streamed = (key: string, model: string, inputs: unknown[], headers: Record<string, string> = {}) => ({
    key,
    partition: 0,
    value: JSON.stringify({ model_name: model, id: key, inputs }),
    headers: { authorization: `Bearer ${tokens.acme}`, ...headers },
  });
  const tiny = (key: string, headers: Record<string, string> = {}) => streamed(key, 'tiny-mlp', tinyInputs, headers);
  /** The audit row of a streamed call of acme's, once the audit writer has stored it. */
  const auditRow = (requestId: string) =>
    eventually(
      `the audit row of ${requestId}`,
      async () => {
        const [row] = await suite.query<{ status: number; error: string | null; protocol: string; tenant_id: string }>(
          'SELECT status, error, protocol, tenant_id FROM audit_log WHERE request_id = $1',
          [requestId],
        );
        return row;
      },
      60_000,
    );

  const routerReadiness = async (): Promise<Readiness> => {
    const response = await fetch(suite.app('router').healthUrl);
    return { status: response.status, body: (await response.json()) as Readiness['body'] };
  };
  /** The router's readiness every 100 ms from now until `stop`, with the time each was seen. */
  const watchReadiness = () => {
    let watching = true;
    const seen: (Readiness & { at: number })[] = [];
    const done = (async () => {
      while (watching) {
        try {
          seen.push({ ...(await routerReadiness()), at: Date.now() });
        } catch {
          // The router answers throughout; a failed fetch would show as a gap, not a status.
        }
        await sleep(100);
      }
    })();
    return {
      seen,
      stop: async () => {
        watching = false;
        await done;
        return seen;
      },
    };
  };

  /** A REST call of the gateway; the answer's status, Retry-After, error and how long it took. */
  const infer = async (token: string, model: string, body: Buffer | object, headers: Record<string, string> = {}) => {
    const started = performance.now();
    const response = await fetch(`${suite.gatewayUrl}/v2/models/${model}/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, ...(Buffer.isBuffer(body) ? {} : { 'content-type': 'application/json' }), ...headers },
      body: Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    const ms = performance.now() - started;
    let error: string | undefined;
    if (response.headers.get('content-type')?.includes('json')) error = (JSON.parse(bytes.toString()) as { error?: string }).error;
    return { status: response.status, retryAfter: response.headers.get('retry-after'), error, bytes: bytes.length, ms };
  };
  const expandCall = (token: string, cols: number) => infer(token, 'expand', { inputs: expandInputs(cols), parameters: { binary_data_output: true } });
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

  beforeAll(async () => {
    await suite.start({
      env: {
        // A fixed id: the test fences the bridge's transactional producer with a zombie of the same id.
        router: { FALAJ_ROUTER_ID: ROUTER_ID },
        gateway: { FALAJ_MAX_IN_FLIGHT: '4', FALAJ_MAX_IN_FLIGHT_PER_TENANT: '3', FALAJ_MAX_IN_FLIGHT_BYTES: '6000000' },
      },
    });
    const admin = await suite.platformAdminToken();
    for (const tenant of ['acme', 'globex'] as const) {
      expect((await suite.call('POST', '/admin/tenants', admin, { id: tenant, name: tenant, residency: 'ae' })).status).toBe(201);
      tokens[tenant] = await suite.token({ tenantId: tenant, subject: 'svc', scopes: [SCOPES.infer, SCOPES.modelsRead, SCOPES.modelsWrite] });
    }
    const deploy = async (token: string, name: string, artifact: Buffer) => {
      expect((await suite.call('POST', '/admin/models', token, { name })).status).toBe(201);
      const upload = await suite.call('POST', `/admin/models/${name}/versions`, token, artifact, { 'content-type': 'application/octet-stream' });
      expect(upload.status).toBe(201);
      expect((await suite.call('POST', `/admin/models/${name}/versions/1/stage`, token, { stage: 'production' })).status).toBe(200);
    };
    await deploy(tokens.acme, 'tiny-mlp', readFileSync(MODEL));
    await deploy(tokens.acme, 'expand', expandModel());
    await deploy(tokens.acme, 'add', addModel(ADD_ELEMENTS));
    await deploy(tokens.globex, 'expand', expandModel());
    for (const [tenant, model] of [
      ['acme', 'tiny-mlp'],
      ['acme', 'expand'],
      ['acme', 'add'],
      ['globex', 'expand'],
    ] as const) {
      await eventually(`${tenant}/${model} ready`, async () => ((await suite.call('GET', `/v2/models/${model}/ready`, tokens[tenant])).status === 200 ? true : undefined), 90_000);
    }

    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    await eventually('streaming topics', async () => {
      const existing = await kafkaAdmin.listTopics();
      // acme's reply topic is made with the tenant; a request without a reply-topic is answered there too.
      return [replies(), topics.dlq].every((t) => existing.includes(t)) ? true : undefined;
    });
    await kafkaAdmin.disconnect();
    await producer.connect();
    for (const topic of [topics.dlq, replies()]) {
      const consumer = kafka.consumer({ groupId: `${suite.prefix}-e2e-${topic}`, readUncommitted: false });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      received.set(topic, []);
      await consumer.run({
        eachMessage: async ({ message }: { message: KafkaMessage }) => {
          received.get(topic)!.push({ key: message.key?.toString() ?? '', status: message.headers?.status?.toString(), reason: message.headers?.['dlq-reason']?.toString() });
        },
      });
    }
  }, 240_000);

  afterAll(async () => {
    for (const consumer of consumers) await consumer.disconnect();
    await producer.disconnect();
    await suite.stop();
  }, 60_000);

  describe('the streaming bridge (item 3)', () => {
    it('dead-letters a reply topic that does not exist or is malformed, creates nothing, answers the rest of the batch and later requests, and stays ready', async () => {
      const watch = watchReadiness();
      try {
        const missing = `${replies()}.nope`;
        await producer.send({
          topic: topics.requests,
          messages: [tiny('rt-missing', { 'reply-topic': missing }), tiny('rt-dotdot', { 'reply-topic': '..' }), tiny('rt-own', { 'reply-topic': replies() }), tiny('rt-plain')],
        });
        await eventually('both dead letters', async () => (on(topics.dlq, 'rt-missing').length && on(topics.dlq, 'rt-dotdot').length ? true : undefined), 60_000);
        expect(on(topics.dlq, 'rt-missing')[0].reason).toBe(`undeliverable: reply-topic '${missing}' does not exist (topics are not created on demand; create it first)`);
        expect(on(topics.dlq, 'rt-dotdot')[0].reason).toBe("undecodable: reply-topic '..' is not a topic name");
        // The tenant is known: the refused call is audited, saying it was dead-lettered and why.
        expect(await auditRow('rt-missing')).toEqual({
          status: 400,
          error: `dead-lettered: undeliverable: reply-topic '${missing}' does not exist (topics are not created on demand; create it first)`,
          protocol: 'kafka',
          tenant_id: 'acme',
        });
        await eventually('the batch answered', async () => (on(replies(), 'rt-own').length && on(replies(), 'rt-plain').length ? true : undefined), 60_000);
        expect(on(replies(), 'rt-own')[0].status).toBe('200');
        // The bridge keeps answering.
        await producer.send({ topic: topics.requests, messages: [tiny('rt-later')] });
        await eventually('a later request answered', async () => on(replies(), 'rt-later')[0], 60_000);
        const admin = kafka.admin();
        await admin.connect();
        expect(await admin.listTopics().finally(() => admin.disconnect())).not.toContain(missing);
      } finally {
        await watch.stop();
      }
      expect(watch.seen.length).toBeGreaterThan(3);
      expect(watch.seen.filter((r) => r.status !== 200)).toEqual([]);
    }, 120_000);

    it("dead-letters alone an answer the broker refuses (over its message size), and delivers the batch's other answers exactly once", async () => {
      const watch = watchReadiness();
      try {
        // 400,000 floats in JSON: ~1.6 MB, over the broker's 1 MB message limit.
        const refused = streamed('iso-big', 'expand', expandInputs(400_000));
        await producer.send({ topic: topics.requests, messages: [tiny('iso-1'), tiny('iso-2'), refused, tiny('iso-3'), tiny('iso-4')] });
        const [letter] = await eventually('the refused answer dead-lettered', async () => on(topics.dlq, 'iso-big')[0] && on(topics.dlq, 'iso-big'), 90_000);
        expect(letter.reason).toMatch(new RegExp(`^undeliverable: the answer to '${replies().replace(/\./g, '\\.')}' was refused by the broker: .*max message size`));
        await eventually('the four others answered', async () => (['iso-1', 'iso-2', 'iso-3', 'iso-4'].every((k) => on(replies(), k).length > 0) ? true : undefined), 60_000);
        // A later request answered means the batch is behind us: nothing of it comes twice.
        await producer.send({ topic: topics.requests, messages: [tiny('iso-later')] });
        await eventually('a later request answered', async () => on(replies(), 'iso-later')[0], 60_000);
        for (const key of ['iso-1', 'iso-2', 'iso-3', 'iso-4']) expect(on(replies(), key).map((m) => m.status)).toEqual(['200']);
        expect(on(replies(), 'iso-big')).toEqual([]);
        // The model ran and its answer never left: the call's audit event stays, its error saying so.
        const audit = await auditRow('iso-big');
        expect(audit).toMatchObject({ status: 200, protocol: 'kafka', tenant_id: 'acme' });
        expect(audit.error).toMatch(new RegExp(`^dead-lettered: undeliverable: the answer to '${replies().replace(/\./g, '\\.')}' was refused by the broker: .*max message size`));
      } finally {
        await watch.stop();
      }
      expect(watch.seen.filter((r) => r.status !== 200)).toEqual([]);
    }, 150_000);

    it('restarts a consumer that a fenced producer stopped for good: not ready while it is down, ready again, and the request answered once', async () => {
      // A zombie with the bridge's transactional id (a second router of the same FALAJ_ROUTER_ID)
      // bumps the producer epoch: the bridge's next commit fails with INVALID_PRODUCER_EPOCH, a
      // non-retriable error after which kafkajs does not restart the consumer.
      const zombie = kafka.producer({ transactionalId: `${suite.prefix}-router-streaming-${ROUTER_ID}`, idempotent: true, maxInFlightRequests: 1 });
      await zombie.connect();
      await (await zombie.transaction()).abort().catch(() => undefined);
      const watch = watchReadiness();
      try {
        await producer.send({ topic: topics.requests, messages: [tiny('fenced-1')] });
        const down = await eventually('the router not ready', async () => watch.seen.find((r) => r.status === 503), 60_000);
        expect(down.body.checks.streaming).toMatchObject({ ok: false });
        expect(down.body.checks.streaming.error).toMatch(/^streaming consumer restarting since \S+ after 1 consecutive failure\(s\), last: .*producer/i);
        const up = await eventually('ready again', async () => watch.seen.find((r) => r.status === 200 && r.at > down.at), 90_000);
        console.log(`fenced bridge: not ready for ${up.at - down.at} ms (first 503 to the next 200), then consuming again`);
        await eventually('the request answered', async () => on(replies(), 'fenced-1')[0], 60_000);
        await producer.send({ topic: topics.requests, messages: [tiny('fenced-later')] });
        await eventually('a later request answered', async () => on(replies(), 'fenced-later')[0], 60_000);
        expect(on(replies(), 'fenced-1')).toHaveLength(1);
        expect((await routerReadiness()).body.checks.streaming).toMatchObject({ ok: true, status: 'running' });
        const metrics = await (await fetch(suite.app('router').healthUrl.replace('/health/ready', '/metrics'))).text();
        expect(metrics).toMatch(/falaj_stream_consumer_crashes_total\{by="bridge"\} [1-9]/);
      } finally {
        await watch.stop();
        await zombie.disconnect().catch(() => undefined);
      }
    }, 240_000);
  });

  describe('replies (item 4)', () => {
    it('answers 422 to a call whose answer is over the reply limit, while a concurrent unrelated call and a 12 MB answer succeed', async () => {
      // 40 MB: past the reply limit (16 MiB) and past Redis' pub/sub limit (32 MB) that dropped the gateway's subscription.
      const [huge, small, large] = await Promise.all([expandCall(tokens.acme, 10_000_000), infer(tokens.acme, 'tiny-mlp', { inputs: tinyInputs }), expandCall(tokens.acme, 3_000_000)]);
      expect(huge.status).toBe(422);
      expect(huge.error).toMatch(/^the answer is 40000000 bytes, over the reply limit of 16777216 bytes/);
      expect(small.status).toBe(200);
      expect(large.status).toBe(200);
      expect(large.bytes).toBeGreaterThan(12_000_000);
      console.log(`422 for a 40 MB answer in ${huge.ms.toFixed(0)} ms; beside it a tiny call in ${small.ms.toFixed(0)} ms and a 12 MB answer in ${large.ms.toFixed(0)} ms`);
      // On gRPC the same refusal is a resource the call asks too much of: RESOURCE_EXHAUSTED, not INVALID_ARGUMENT.
      const client = new OipGrpcClient(suite.grpcTarget, tokens.acme);
      try {
        const refused = await client
          .infer({
            model: 'expand',
            inputs: [
              { name: 'x', datatype: 'FP32', shape: [1], data: Buffer.from(Float32Array.of(1.5).buffer) },
              { name: 'shape', datatype: 'INT64', shape: [2], data: Buffer.from(BigInt64Array.of(1n, 10_000_000n).buffer) },
            ],
          })
          .catch((e: grpc.ServiceError) => e);
        expect(refused).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: expect.stringMatching(/^the answer is 40000000 bytes, over the reply limit of 16777216 bytes/) });
      } finally {
        client.close();
      }
      // And the path is whole afterwards.
      expect((await infer(tokens.acme, 'tiny-mlp', { inputs: tinyInputs })).status).toBe(200);
    }, 120_000);
  });

  describe('admission (item 9, in flight)', () => {
    it('refuses a burst past the per-tenant and per-gateway caps at once with 503 and Retry-After, and serves within them', async () => {
      const burst = (token: string, n: number) => Promise.all(Array.from({ length: n }, () => expandCall(token, 500_000)));
      const results = await eventually(
        'both caps hit',
        async () => {
          const all = (await Promise.all([burst(tokens.acme, 12), burst(tokens.globex, 12)])).flat();
          const errors = all.map((r) => r.error ?? '');
          return errors.some((e) => e.includes("tenant '")) && errors.some((e) => e.includes('the gateway has 4 requests in flight')) ? all : undefined;
        },
        60_000,
        0,
      );
      expect(results.every((r) => r.status === 200 || r.status === 503)).toBe(true);
      const refused = results.filter((r) => r.status === 503);
      const served = results.filter((r) => r.status === 200);
      expect(served.length).toBeGreaterThan(0);
      for (const r of refused) {
        expect(r.retryAfter).toBe('1');
        expect(r.error).toMatch(
          /^over capacity: (tenant '(acme|globex)' has 3 requests in flight on this gateway, its limit of 3|the gateway has 4 requests in flight, its limit of 4); retry after 1 s$/,
        );
      }
      console.log(
        `burst of 24: ${served.length} served (median ${median(served.map((r) => r.ms)).toFixed(0)} ms), ${refused.length} refused 503 (median ${median(refused.map((r) => r.ms)).toFixed(1)} ms)`,
      );
    }, 120_000);

    it('refuses past the budget of request bytes in flight with 503, and counts each limit in the metrics', async () => {
      const data = Buffer.alloc(ADD_ELEMENTS * 4);
      const { body, headers } = encodeBinaryInferRequest({ inputs: [{ name: 'x', datatype: 'FP32', shape: [ADD_ELEMENTS], data }], binaryDataOutput: true });
      // Two 4 MB requests do not fit the 6 MB budget together.
      const all: Awaited<ReturnType<typeof infer>>[] = [];
      const refused = await eventually(
        'the byte budget hit',
        async () => {
          const burst = await Promise.all(Array.from({ length: 3 }, () => infer(tokens.acme, 'add', body, headers)));
          all.push(...burst);
          return burst.find((r) => r.error?.includes('request bytes in flight'));
        },
        60_000,
        0,
      );
      expect(all.filter((r) => r.status !== 200 && r.status !== 503)).toEqual([]);
      expect(refused).toMatchObject({ status: 503, retryAfter: '1' });
      expect(refused.error).toMatch(/^over capacity: the gateway has 4000000 request bytes in flight; 4000000 more would pass its budget of 6000000; retry after 1 s$/);
      expect((await infer(tokens.acme, 'add', body, headers)).status).toBe(200);
      const metrics = await fetch(`${suite.gatewayUrl}/metrics`, { headers: { authorization: `Bearer ${await suite.platformAdminToken()}` } });
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      for (const limit of ['tenant', 'gateway', 'bytes']) expect(text).toMatch(new RegExp(`falaj_gateway_refused_total\\{limit="${limit}"\\} [1-9]`));
      // And in the one counter of every named limit, under the limits' own names.
      for (const limit of ['in_flight_tenant', 'in_flight_gateway', 'in_flight_bytes']) expect(text).toMatch(new RegExp(`falaj_limit_refusals_total\\{limit="${limit}"\\} [1-9]`));
      // The 422 of an answer over the reply limit, earlier in this file.
      expect(text).toMatch(/falaj_limit_refusals_total\{limit="reply_bytes"\} [1-9]/);
      expect((await fetch(`${suite.gatewayUrl}/metrics`)).status).toBe(401);
    }, 120_000);
  });
});
