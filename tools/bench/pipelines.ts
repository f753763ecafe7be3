import { inferenceStreamTopics, tenantReplyTopicNamespace } from '@falaj/contracts';
import { eventually, testKafka } from '@falaj/testing';
import type { FalajSuite } from '@falaj/testing';

export interface PipelineResult {
  items: number;
  seconds: number;
  perSecond: number;
}

/**
 * Streaming inference end to end: `count` requests published to the requests topic by a plain
 * kafkajs producer, timed until every answer is read back (read_committed) from the tenant's
 * reply topic — the router's bridge, the pool's stream, the worker and the Kafka transactions included.
 */
export async function streamingThroughput(suite: FalajSuite, tenantId: string, token: string, model: string, input: object, count: number): Promise<PipelineResult> {
  const topics = inferenceStreamTopics(suite.prefix);
  const kafka = testKafka('bench-stream');
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: `${suite.prefix}-bench-${Date.now()}`, readUncommitted: false });
  const run = `b${Date.now()}`;
  const answered = new Set<string>();
  await consumer.connect();
  await consumer.subscribe({ topic: tenantReplyTopicNamespace(suite.prefix, tenantId), fromBeginning: false });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const key = m.key?.toString() ?? '';
        if (key.startsWith(run)) answered.add(key);
      }
    },
  });
  await producer.connect();
  // The consumer must have its partitions before the first answer is written.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const value = JSON.stringify({ model_name: model, inputs: [input] });
  const started = performance.now();
  for (let i = 0; i < count; i += 1000) {
    const messages = Array.from({ length: Math.min(1000, count - i) }, (_, j) => ({ key: `${run}-${i + j}`, value, headers: { authorization: `Bearer ${token}` } }));
    await producer.send({ topic: topics.requests, messages });
  }
  await eventually(`${count} streamed answers`, async () => (answered.size >= count ? true : undefined), 600_000, 50);
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  await consumer.disconnect();
  return { items: count, seconds, perSecond: count / seconds };
}

/** A batch job of `rows` rows through the gateway, timed from submission to `completed`. */
export async function batchThroughput(suite: FalajSuite, token: string, model: string, row: unknown, rows: number, chunkSize = 250): Promise<PipelineResult> {
  const body = Buffer.from(`${JSON.stringify(row)}\n`.repeat(rows));
  const started = performance.now();
  const submitted = await suite.call('POST', `/v2/batch/jobs?model=${model}&chunkSize=${chunkSize}`, token, body, { 'content-type': 'application/x-ndjson' });
  if (submitted.status !== 201) throw new Error(`batch submit: HTTP ${submitted.status} ${submitted.text}`);
  await eventually(
    'batch job completed',
    async () => {
      const job = (await suite.call('GET', `/v2/batch/jobs/${submitted.json.id}`, token)).json;
      if (job.state === 'failed' || job.state === 'cancelled') throw new Error(`batch job ${job.state}`);
      return job.state === 'completed' ? true : undefined;
    },
    600_000,
    100,
  );
  const seconds = (performance.now() - started) / 1000;
  return { items: rows, seconds, perSecond: rows / seconds };
}
