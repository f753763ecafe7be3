import type { Consumer, KafkaMessage } from 'kafkajs';
import { SCOPES } from '@falaj/auth';
import { inferenceStreamTopics, platformTopics, tenantReplyTopicNamespace } from '@falaj/contracts';
import { FalajSuite, eventually, testKafka } from '@falaj/testing';
import { offsetModel } from './support/onnx-fixtures';

/**
 * Request ids are the clients' own, so two tenants can send the same one. These tests are the
 * attacks a security review ran against a live stack, against the five built apps: each tenant
 * has a model named `scorer` that adds its own offset to the input (acme 1000, globex 2000), so
 * an answer says whose model computed it and for which input.
 */
interface Tenant {
  id: string;
  offset: number;
  token: string;
}

interface Received {
  key: string;
  requestId?: string;
  status?: string;
  reason?: string;
  body: { id?: string; outputs?: { data: number[] }[]; error?: string };
}

const input = (value: number) => ({ name: 'input', shape: [1, 4], datatype: 'FP32', data: [value, value, value, value] });

describe('tenant isolation of client request ids (e2e)', () => {
  const suite = new FalajSuite();
  const topics = inferenceStreamTopics(suite.prefix);
  const kafka = testKafka('e2e-isolation');
  const producer = kafka.producer();
  const consumers: Consumer[] = [];
  /** Every message read, by topic (read_committed). */
  const received = new Map<string, Received[]>();
  const acme: Tenant = { id: 'acme', offset: 1000, token: '' };
  const globex: Tenant = { id: 'globex', offset: 2000, token: '' };
  const repliesOf = (tenant: Tenant) => tenantReplyTopicNamespace(suite.prefix, tenant.id);
  const on = (topic: string, key: string) => (received.get(topic) ?? []).filter((m) => m.key === key);

  /** A streamed request for `scorer`, keyed and headed by its request id, answered in the tenant's reply namespace. */
  const streamed = (tenant: Tenant | null, requestId: string, value: number, headers: Record<string, string> = {}, key = requestId) => ({
    key,
    value: JSON.stringify({ model_name: 'scorer', id: requestId, inputs: [input(value)] }),
    headers: {
      'request-id': requestId,
      'reply-topic': repliesOf(tenant ?? acme),
      ...(tenant ? { authorization: `Bearer ${tenant.token}` } : {}),
      ...headers,
    },
  });

  const highWatermarks = async (topic: string): Promise<string[]> => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((p) => p.high);
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    await suite.start();
    const admin = await suite.platformAdminToken();
    for (const tenant of [acme, globex]) {
      expect((await suite.call('POST', '/admin/tenants', admin, { id: tenant.id, name: tenant.id, residency: 'ae' })).status).toBe(201);
      tenant.token = await suite.token({ tenantId: tenant.id, subject: 'svc', scopes: [SCOPES.infer, SCOPES.modelsRead, SCOPES.modelsWrite, SCOPES.auditRead] });
      expect((await suite.call('POST', '/admin/models', tenant.token, { name: 'scorer' })).status).toBe(201);
      const upload = await suite.call('POST', '/admin/models/scorer/versions', tenant.token, offsetModel(tenant.offset), { 'content-type': 'application/octet-stream' });
      expect(upload.status).toBe(201);
      expect((await suite.call('POST', '/admin/models/scorer/versions/1/stage', tenant.token, { stage: 'production' })).status).toBe(200);
    }
    for (const tenant of [acme, globex]) {
      await eventually(`${tenant.id}'s scorer ready`, async () => ((await suite.call('GET', '/v2/models/scorer/ready', tenant.token)).status === 200 ? true : undefined), 90_000);
    }

    // A client creates the topics of its reply namespace; the platform's exist once the apps run.
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    await eventually('streaming topics', async () => {
      const existing = await kafkaAdmin.listTopics();
      // Each tenant's reply topic is made with the tenant.
      return [repliesOf(acme), repliesOf(globex), topics.dlq, platformTopics(suite.prefix).lifecycle.topic].every((t) => existing.includes(t)) ? true : undefined;
    });
    await kafkaAdmin.disconnect();
    await producer.connect();
    const listen = async (topic: string) => {
      const consumer = kafka.consumer({ groupId: `${suite.prefix}-e2e-${topic}`, readUncommitted: false });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      received.set(topic, []);
      await consumer.run({
        eachMessage: async ({ message }: { message: KafkaMessage }) => {
          let body: Received['body'] = {};
          try {
            body = JSON.parse(message.value?.toString() ?? '{}');
          } catch {
            // Dead letters carry the original value, which may be anything.
          }
          received.get(topic)!.push({
            key: message.key?.toString() ?? '',
            requestId: message.headers?.['request-id']?.toString(),
            status: message.headers?.status?.toString(),
            reason: message.headers?.['dlq-reason']?.toString(),
            body,
          });
        },
      });
    };
    for (const topic of [topics.dlq, repliesOf(acme), repliesOf(globex)]) await listen(topic);
  }, 240_000);

  afterAll(async () => {
    for (const consumer of consumers) await consumer.disconnect();
    await producer.disconnect();
    await suite.stop();
  }, 60_000);

  describe('REST', () => {
    it("gives each of 48 concurrent callers its own tenant's answer when two tenants share x-request-id and id values, and audits all 48", async () => {
      const calls = Array.from({ length: 24 }, (_, i) => [acme, globex].map((tenant) => ({ tenant, i }))).flat();
      const results = await Promise.all(
        calls.map(async ({ tenant, i }) => {
          const response = await fetch(`${suite.gatewayUrl}/v2/models/scorer/infer`, {
            method: 'POST',
            headers: { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/json', 'x-request-id': `rest-shared-${i}` },
            body: JSON.stringify({ id: `rest-shared-${i}`, inputs: [input(i)] }),
          });
          return { tenant, i, status: response.status, echoed: response.headers.get('x-request-id'), body: (await response.json()) as Received['body'] };
        }),
      );
      for (const { tenant, i, status, echoed, body } of results) {
        expect({ tenant: tenant.id, i, status, echoed, id: body.id, data: body.outputs?.[0]?.data }).toEqual({
          tenant: tenant.id,
          i,
          status: 200,
          echoed: `rest-shared-${i}`,
          id: `rest-shared-${i}`,
          data: [i + tenant.offset, i + tenant.offset, i + tenant.offset, i + tenant.offset],
        });
      }
      const rows = await eventually(
        '48 audit rows',
        async () => {
          const found = await suite.query<{ tenant_id: string; request_id: string; status: number }>(
            `SELECT tenant_id, request_id, status FROM audit_log WHERE protocol = 'rest' AND request_id LIKE 'rest-shared-%'`,
          );
          return found.length >= 48 ? found : undefined;
        },
        60_000,
        250,
      );
      expect(rows).toHaveLength(48);
      for (const tenant of [acme, globex]) {
        const ids = rows
          .filter((r) => r.tenant_id === tenant.id && r.status === 200)
          .map((r) => r.request_id)
          .sort();
        expect(ids).toEqual(Array.from({ length: 24 }, (_, i) => `rest-shared-${i}`).sort());
      }
    }, 120_000);
  });

  describe('Kafka', () => {
    it('answers each of two tenants publishing the same request ids concurrently with exactly its own answer, and audits both', async () => {
      const ids = Array.from({ length: 12 }, (_, i) => `kafka-shared-${i}`);
      await Promise.all([acme, globex].map((tenant) => producer.send({ topic: topics.requests, messages: ids.map((id, i) => streamed(tenant, id, i)) })));
      for (const tenant of [acme, globex]) {
        await eventually(`${tenant.id}'s 12 answers`, async () => (ids.every((id) => on(repliesOf(tenant), id).length > 0) ? true : undefined), 60_000, 100);
      }
      for (const tenant of [acme, globex]) {
        ids.forEach((id, i) => {
          const answers = on(repliesOf(tenant), id);
          expect(answers).toHaveLength(1);
          expect({ status: answers[0].status, id: answers[0].body.id, data: answers[0].body.outputs?.[0]?.data }).toEqual({
            status: '200',
            id,
            data: [i + tenant.offset, i + tenant.offset, i + tenant.offset, i + tenant.offset],
          });
        });
      }
      expect(received.get(topics.dlq)!.filter((m) => m.key.startsWith('kafka-shared-'))).toEqual([]);
      const rows = await eventually(
        '24 kafka audit rows',
        async () => {
          const found = await suite.query<{ tenant_id: string; request_id: string }>(`SELECT tenant_id, request_id FROM audit_log WHERE protocol = 'kafka' AND request_id LIKE 'kafka-shared-%'`);
          return found.length >= 24 ? found : undefined;
        },
        60_000,
        250,
      );
      expect(rows).toHaveLength(24);
      for (const tenant of [acme, globex])
        expect(
          rows
            .filter((r) => r.tenant_id === tenant.id)
            .map((r) => r.request_id)
            .sort(),
        ).toEqual([...ids].sort());
    }, 120_000);

    it("dead-letters a token-less message carrying a victim's request id, and still answers the victim's real request with that id", async () => {
      // Burned in an earlier batch, then in the same batch just before the real one.
      await producer.send({ topic: topics.requests, messages: [streamed(null, 'victim-1', 1)] });
      const [burned] = await eventually(
        'the dead letter',
        async () => {
          const found = on(topics.dlq, 'victim-1');
          return found.length > 0 ? found : undefined;
        },
        60_000,
      );
      expect(burned).toMatchObject({ requestId: 'victim-1', reason: 'unauthorized: missing bearer token' });
      await producer.send({ topic: topics.requests, messages: [streamed(acme, 'victim-1', 1)] });
      await producer.send({ topic: topics.requests, messages: [streamed(null, 'victim-2', 2), streamed(acme, 'victim-2', 2)] });
      for (const [id, value] of [
        ['victim-1', 1],
        ['victim-2', 2],
      ] as const) {
        const [answer] = await eventually(
          `the answer to ${id}`,
          async () => {
            const found = on(repliesOf(acme), id);
            return found.length > 0 ? found : undefined;
          },
          60_000,
        );
        expect({ status: answer.status, data: answer.body.outputs?.[0]?.data }).toEqual({ status: '200', data: [value + 1000, value + 1000, value + 1000, value + 1000] });
      }
      expect(on(topics.dlq, 'victim-2')).toEqual([expect.objectContaining({ reason: 'unauthorized: missing bearer token' })]);
    }, 120_000);

    it("answers a tenant's request published twice in one batch once", async () => {
      // One key, so one partition and one lane: the sentinel is handled after both copies.
      await producer.send({
        topic: topics.requests,
        messages: [streamed(acme, 'twice-1', 5), streamed(acme, 'twice-1', 5), streamed(acme, 'twice-sentinel', 6, {}, 'twice-1')],
      });
      await eventually('the sentinel', async () => (on(repliesOf(acme), 'twice-sentinel').length > 0 ? true : undefined), 60_000);
      expect(on(repliesOf(acme), 'twice-1')).toHaveLength(1);
    }, 90_000);

    it("dead-letters a reply-topic that is a platform topic or another tenant's namespace, and writes nothing there", async () => {
      const lifecycle = platformTopics(suite.prefix).lifecycle.topic;
      const before = { lifecycle: await highWatermarks(lifecycle), globex: await highWatermarks(repliesOf(globex)) };
      await producer.send({
        topic: topics.requests,
        messages: [
          streamed(acme, 'steal-lifecycle', 1, { 'reply-topic': lifecycle }),
          streamed(acme, 'steal-globex', 1, { 'reply-topic': repliesOf(globex) }),
          streamed(acme, 'steal-globex-suffix', 1, { 'reply-topic': `${repliesOf(globex)}.mine` }),
          streamed(acme, 'steal-dlq', 1, { 'reply-topic': topics.dlq }),
        ],
      });
      const reasons = await eventually(
        'four dead letters',
        async () => {
          const found = new Map(received.get(topics.dlq)!.map((m) => [m.key, m.reason]));
          return ['steal-lifecycle', 'steal-globex', 'steal-globex-suffix', 'steal-dlq'].every((k) => found.has(k)) ? found : undefined;
        },
        60_000,
      );
      expect(reasons.get('steal-lifecycle')).toBe(`forbidden: reply-topic '${lifecycle}' is a platform topic`);
      expect(reasons.get('steal-dlq')).toBe(`forbidden: reply-topic '${topics.dlq}' is a platform topic`);
      const outside = `is outside the tenant's namespace (use '${repliesOf(acme)}' or '${repliesOf(acme)}.<suffix>')`;
      expect(reasons.get('steal-globex')).toBe(`forbidden: reply-topic '${repliesOf(globex)}' ${outside}`);
      expect(reasons.get('steal-globex-suffix')).toBe(`forbidden: reply-topic '${repliesOf(globex)}.mine' ${outside}`);
      // Committed in the same transaction as its dead letter: had anything been sent there, the
      // topics' ends would have moved (even an aborted write leaves a marker).
      expect({ lifecycle: await highWatermarks(lifecycle), globex: await highWatermarks(repliesOf(globex)) }).toEqual(before);
      expect(on(repliesOf(globex), 'steal-globex')).toEqual([]);
    }, 90_000);

    it('accepts an API key on Kafka as on REST', async () => {
      const admin = await suite.platformAdminToken();
      const issued = await suite.call('POST', '/admin/tenants/acme/api-keys', admin, { name: 'kafka-app', scopes: ['infer'] });
      expect(issued.status).toBe(201);
      await producer.send({
        topic: topics.requests,
        messages: [streamed(null, 'api-key-1', 7, { authorization: `ApiKey ${issued.json.key}` }), streamed(null, 'api-key-2', 8, { authorization: `Bearer ${issued.json.key}` })],
      });
      for (const [id, value] of [
        ['api-key-1', 7],
        ['api-key-2', 8],
      ] as const) {
        const outcome = await eventually(`${id} answered or dead-lettered`, async () => on(repliesOf(acme), id)[0] ?? on(topics.dlq, id)[0], 60_000);
        expect({ reason: outcome.reason, status: outcome.status, data: outcome.body.outputs?.[0]?.data }).toEqual({
          reason: undefined,
          status: '200',
          data: [value + 1000, value + 1000, value + 1000, value + 1000],
        });
      }
    }, 90_000);
  });
});
