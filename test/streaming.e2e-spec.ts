import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { inferenceStreamTopics, tenantReplyTopicNamespace } from '@falaj/contracts';
import { FalajSuite, eventually, testKafka } from '@falaj/testing';

/**
 * Streaming inference over real Kafka: requests published to `<prefix>.inference.requests` by a
 * plain kafkajs client, answers read from the tenant's reply topic `<prefix>.replies.acme` with read_committed, as
 * a user's service would; the router, workers, registry and gateway are the built apps.
 */
const MODEL = join(__dirname, '..', 'models', 'tiny-mlp.onnx');

interface Received {
  key: string;
  status: string;
  retryAfter?: string;
  body: { id?: string; model_version?: string; outputs?: { data: number[] }[]; error?: string; code?: string };
}

describe('streaming inference over Kafka (e2e)', () => {
  const suite = new FalajSuite();
  const topics = inferenceStreamTopics(suite.prefix);
  /** acme's default reply topic, made with the tenant: where its answers without a reply-topic go. */
  const answers = tenantReplyTopicNamespace(suite.prefix, 'acme');
  const kafka = testKafka('e2e-stream');
  const producer = kafka.producer();
  const consumers: Consumer[] = [];
  const responses = new Map<string, Received[]>();
  const deadLetters: KafkaMessage[] = [];
  let token: string;

  const publish = async (count: number, from: number, extra: Record<string, string> = {}) => {
    const messages = Array.from({ length: count }, (_, i) => {
      const n = from + i;
      return {
        key: `req-${n}`,
        value: JSON.stringify({ model_name: 'tiny-mlp', id: `client-${n}`, inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [n % 7, 1, 2, 3] }] }),
        headers: { authorization: `Bearer ${token}`, ...extra },
      };
    });
    for (let i = 0; i < messages.length; i += 1000) await producer.send({ topic: topics.requests, messages: messages.slice(i, i + 1000) });
  };
  const answeredCount = (from: number, to: number) => {
    let n = 0;
    for (let i = from; i < to; i++) if (responses.has(`req-${i}`)) n++;
    return n;
  };

  beforeAll(async () => {
    // A per-model bucket on a second model, drawn from by streamed requests like REST ones.
    await suite.start({ env: { router: { FALAJ_QUOTAS: JSON.stringify({ models: { 'acme/capped': { rps: 1, burst: 5 } } }) } } });
    const admin = await suite.platformAdminToken();
    await suite.call('POST', '/admin/tenants', admin, { id: 'acme', name: 'Acme', residency: 'ae' });
    token = await suite.token({ tenantId: 'acme', subject: 'svc', scopes: ['infer', 'models:write', 'models:read'] });
    await suite.call('POST', '/admin/models', token, { name: 'tiny-mlp' });
    await suite.call('POST', '/admin/models/tiny-mlp/versions', token, readFileSync(MODEL), { 'content-type': 'application/octet-stream' });
    await suite.call('POST', '/admin/models/tiny-mlp/versions/1/stage', token, { stage: 'production' });
    await suite.call('POST', '/admin/models', token, { name: 'capped' });
    await suite.call('POST', '/admin/models/capped/versions', token, readFileSync(MODEL), { 'content-type': 'application/octet-stream' });
    await suite.call('POST', '/admin/models/capped/versions/1/stage', token, { stage: 'production' });
    await eventually('model ready', async () => ((await suite.call('GET', '/v2/models/tiny-mlp/ready', token)).status === 200 ? true : undefined));
    await producer.connect();
    const listen = async (topic: string, onMessage: (m: KafkaMessage) => void) => {
      const consumer = kafka.consumer({ groupId: `${suite.prefix}-e2e-${topic}`, readUncommitted: false });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => onMessage(message) });
    };
    await eventually('streaming topics', async () => {
      const admin = kafka.admin();
      await admin.connect();
      const existing = await admin.listTopics().finally(() => admin.disconnect());
      return existing.includes(answers) && existing.includes(topics.dlq) ? true : undefined;
    });
    await listen(answers, (message) => {
      const key = message.key!.toString();
      const list = responses.get(key) ?? [];
      list.push({ key, status: message.headers!.status!.toString(), retryAfter: message.headers!['retry-after']?.toString(), body: JSON.parse(message.value!.toString()) });
      responses.set(key, list);
    });
    await listen(topics.dlq, (message) => deadLetters.push(message));
  }, 120_000);

  afterAll(async () => {
    for (const consumer of consumers) await consumer.disconnect();
    await producer.disconnect();
    await suite.stop();
  }, 60_000);

  it('answers 10,000 streamed requests, each exactly once, with what the model computes', async () => {
    const started = Date.now();
    await publish(10_000, 0);
    await eventually('10,000 responses', async () => (answeredCount(0, 10_000) === 10_000 ? true : undefined), 240_000, 250);
    const seconds = (Date.now() - started) / 1000;
    console.log(`streamed 10,000 requests in ${seconds.toFixed(1)} s (${Math.round(10_000 / seconds)} messages/s end to end)`);
    for (let i = 0; i < 10_000; i++) {
      const got = responses.get(`req-${i}`)!;
      expect(got).toHaveLength(1);
      expect(got[0].status).toBe('200');
      expect(got[0].body.id).toBe(`client-${i}`);
    }
    // Same input → same output: requests 0 and 7 share their input (n % 7).
    expect(responses.get('req-7')![0].body.outputs).toEqual(responses.get('req-0')![0].body.outputs);
    const probabilities = responses.get('req-3')![0].body.outputs![0].data;
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  }, 300_000);

  it('sends undecodable, unauthorized and unroutable messages to the dead-letter topic with the reason', async () => {
    await producer.send({
      topic: topics.requests,
      messages: [
        { key: 'bad-json', value: '{not json', headers: { authorization: `Bearer ${token}` } },
        { key: 'no-token', value: JSON.stringify({ model_name: 'tiny-mlp', inputs: [] }) },
        { key: 'no-model', value: JSON.stringify({ model_name: 'ghost', inputs: [] }), headers: { authorization: `Bearer ${token}` } },
      ],
    });
    const reasons = await eventually(
      'three dead letters',
      async () => {
        const found = new Map(deadLetters.map((m) => [m.key?.toString(), m.headers?.['dlq-reason']?.toString()]));
        return ['bad-json', 'no-token', 'no-model'].every((k) => found.has(k)) ? found : undefined;
      },
      60_000,
    );
    expect(reasons.get('bad-json')).toMatch(/^undecodable: value is not JSON/);
    expect(reasons.get('no-token')).toBe('unauthorized: missing bearer token');
    expect(reasons.get('no-model')).toBe("unroutable: model 'ghost' not found");
    const letter = deadLetters.find((m) => m.key?.toString() === 'no-model')!;
    expect(letter.headers?.authorization).toBeUndefined();
    expect(responses.has('bad-json') || responses.has('no-token') || responses.has('no-model')).toBe(false);
  }, 90_000);

  it('answers a request with invalid tensors on the tenant reply topic, as REST would, with a 400', async () => {
    await producer.send({
      topic: topics.requests,
      messages: [
        {
          key: 'bad-shape',
          value: JSON.stringify({ model_name: 'tiny-mlp', inputs: [{ name: 'input', shape: [1, 5], datatype: 'FP32', data: [1, 2, 3, 4, 5] }] }),
          headers: { authorization: `Bearer ${token}` },
        },
      ],
    });
    const [got] = await eventually('the 400 answer', async () => responses.get('bad-shape'), 60_000);
    expect(got.status).toBe('400');
    expect(got.body.error).toMatch(/shape \[1,5\] does not match/);
    expect(got.body.code).toBe('bad_request');
  }, 90_000);

  it('answers a request published twice with the same id only once', async () => {
    await publish(1, 20_000);
    await eventually('first answer', async () => responses.get('req-20000'), 60_000);
    await publish(1, 20_000);
    await publish(1, 20_001); // a later request: once it is answered, the duplicate has been passed over
    await eventually('later answer', async () => responses.get('req-20001'), 60_000);
    expect(responses.get('req-20000')).toHaveLength(1);
  }, 90_000);

  it('loses and duplicates nothing when the router crashes mid-stream and restarts', async () => {
    await publish(3000, 30_000);
    await eventually('some answers', async () => (answeredCount(30_000, 33_000) > 200 ? true : undefined), 120_000, 50);
    const router = suite.app('router');
    await router.kill();
    const beforeRestart = answeredCount(30_000, 33_000);
    router.start();
    await router.waitHealthy();
    await eventually('all 3,000 answered', async () => (answeredCount(30_000, 33_000) === 3000 ? true : undefined), 240_000, 250);
    for (let i = 30_000; i < 33_000; i++) expect(responses.get(`req-${i}`)).toHaveLength(1);
    // Valid requests are answered, never dead-lettered for the bridge's own state (its transactions
    // racing on one producer across partitions and the restart: kafkajs' CONCURRENT_TRANSACTIONS).
    const lettered = deadLetters.filter((m) => /^req-3\d{4}$/.test(m.key?.toString() ?? ''));
    expect(lettered.map((m) => `${m.key?.toString()}: ${m.headers?.['dlq-reason']?.toString()}`)).toEqual([]);
    // The broker answers CONCURRENT_TRANSACTIONS to a producer whose previous transaction is still
    // being completed (its markers written) or, after the kill, aborted: kafkajs logs that response
    // and retries, as Kafka's own client does. What must never appear is that error given up on.
    expect(unretriedConcurrentTransactions(router.logTail(1_000_000))).toEqual([]);
    console.log(`router killed after ${beforeRestart} of 3,000 answers; all answered once after the restart, none dead-lettered`);
  }, 300_000);

  it('exports consumer lag and throughput as Prometheus metrics without credentials', async () => {
    const routerMetrics = suite.app('router').healthUrl.replace('/health/ready', '/metrics');
    const text = await eventually(
      'lag measured',
      async () => {
        const body = await (await fetch(routerMetrics)).text();
        return body.includes('falaj_stream_consumer_lag{') ? body : undefined;
      },
      30_000,
    );
    expect(text).toMatch(/falaj_stream_messages_total\{outcome="status_200"\} \d+/);
    expect(text).toContain('falaj_stream_request_seconds_bucket');
    // The shared inference series, as on the gateway, with protocol "kafka": counted when each answer
    // is made, so at least what was delivered (a batch whose transaction is retried counts again).
    const delivered = Number(/^falaj_stream_messages_total\{outcome="status_200"\} (\d+)$/m.exec(text)?.[1]);
    const served = [...text.matchAll(/^falaj_inference_requests_total\{[^}]*protocol="kafka",outcome="success"\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(delivered).toBeGreaterThan(0);
    expect(served).toBeGreaterThanOrEqual(delivered);
    expect(text).toMatch(/^falaj_inference_request_duration_seconds_bucket\{le="\+Inf",tenant="[^"]+",model="[^"]+",version="\d+",pool="[^"]+",protocol="kafka"\} \d+$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
  }, 60_000);

  it('answers 429 on the tenant reply topic beyond the model quota, like REST', async () => {
    await eventually('capped ready', async () => ((await suite.call('GET', '/v2/models/capped/ready', token)).status === 200 ? true : undefined), 60_000);
    await producer.send({
      topic: topics.requests,
      messages: Array.from({ length: 20 }, (_, i) => ({
        key: `capped-${i}`,
        value: JSON.stringify({ model_name: 'capped', inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 1, 2, 3] }] }),
        headers: { authorization: `Bearer ${token}` },
      })),
    });
    const got = await eventually(
      '20 capped answers',
      async () => {
        const all = Array.from({ length: 20 }, (_, i) => responses.get(`capped-${i}`)?.[0]);
        return all.every(Boolean) ? (all as Received[]) : undefined;
      },
      60_000,
    );
    const ok = got.filter((r) => r.status === '200').length;
    const limited = got.filter((r) => r.status === '429');
    expect(ok).toBeGreaterThanOrEqual(5);
    expect(ok).toBeLessThanOrEqual(10);
    expect(limited.length).toBe(20 - ok);
    expect(limited[0].body.error).toContain("rate limit exceeded for tenant 'acme' on model 'capped'");
    expect(limited[0].body.code).toBe('quota_exceeded');
    // As HTTP's Retry-After, in a header of the response message.
    expect(Number(limited[0].retryAfter)).toBeGreaterThanOrEqual(1);
    expect(got.find((r) => r.status === '200')?.retryAfter).toBeUndefined();
  }, 90_000);
});

/**
 * The log lines carrying Kafka's CONCURRENT_TRANSACTIONS error other than kafkajs' own record of
 * a retry: the broker's response to AddPartitionsToTxn or InitProducerId, and "Failed to send
 * messages" with its retry count. Any other line is the error surfacing past the retries.
 */
function unretriedConcurrentTransactions(log: string): string[] {
  const retried = /Response (AddPartitionsToTxn|InitProducerId|AddOffsetsToTxn)\(|Failed to send messages: .*retryCount/;
  return log.split('\n').filter((line) => line.includes('another concurrent operation on the same transaction') && !retried.test(line));
}
