import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inferenceStreamTopics } from '@falaj/contracts';
import { FalajSuite, OipGrpcClient, eventually, startPrometheus, testKafka } from '@falaj/testing';

/**
 * Traces across every hop (issue 16) against the five built apps and a real Zipkin
 * (`infra.sh up zipkin`): every app traces at ratio 1 and exports there. A call that comes with
 * a `traceparent` — over REST, gRPC or Kafka — is one trace in Zipkin: the edge span under the
 * caller's, the pipeline's hops under it, the worker's span under the dispatch span that sent
 * it, its queue wait, batch and onnxruntime run under that; and a batch of 8 names its 8 members.
 * A batch job is one trace too: its rows' spans hang under the registry's span of the submission.
 * Calls outside the sample are recorded nowhere; traced calls' latencies carry exemplars.
 */
const ZIPKIN = process.env.FALAJ_TEST_ZIPKIN_URL ?? 'http://127.0.0.1:9411';
const MODEL = join(__dirname, '..', 'models', 'tiny-mlp.onnx');
const INPUT = { name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] };

interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: string;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const callerContext = () => ({ traceId: hex(16), spanId: hex(8) });
const traceparentOf = (c: { traceId: string; spanId: string }) => `00-${c.traceId}-${c.spanId}-01`;

/** The trace's spans once every named span has reached Zipkin (exports are batched, 100 ms apart). */
async function traceOf(traceId: string, names: string[]): Promise<ZipkinSpan[]> {
  return eventually(
    `trace ${traceId} with ${names.join(', ')}`,
    async () => {
      const response = await fetch(`${ZIPKIN}/api/v2/trace/${traceId}`);
      if (response.status !== 200) return undefined;
      const spans = (await response.json()) as ZipkinSpan[];
      return names.every((name) => spans.some((s) => s.name === name)) ? spans : undefined;
    },
    30_000,
    200,
  );
}

/** The one span of that name and service (Zipkin keeps names and services lowercased). */
function only(spans: ZipkinSpan[], name: string, service: string): ZipkinSpan {
  const found = spans.filter((s) => s.name === name && s.localEndpoint?.serviceName === service);
  expect({ name, service, count: found.length }).toEqual({ name, service, count: 1 });
  return found[0];
}

/** Gateway (or bridge) edge → resolve → admit → dispatch → worker serve → batch → run, parent by parent. */
function expectWorkerChain(spans: ZipkinSpan[], edge: ZipkinSpan, edgeService: string): void {
  for (const hop of ['resolve and place', 'admit', 'dispatch']) expect(only(spans, hop, edgeService).parentId).toBe(edge.id);
  const dispatch = only(spans, 'dispatch', edgeService);
  expect(dispatch.tags?.['falaj.pool']).toBe('cpu.ae');
  const place = only(spans, 'resolve and place', edgeService);
  expect(place.tags?.['falaj.version']).toBe('1');
  expect(place.tags?.['falaj.placement']).toBeTruthy();
  const serve = only(spans, 'serve', 'falaj-cpu-worker');
  expect(serve.parentId).toBe(dispatch.id);
  expect(only(spans, 'queue', 'falaj-cpu-worker').parentId).toBe(serve.id);
  expect(only(spans, 'reply', 'falaj-cpu-worker').parentId).toBe(serve.id);
  const batch = only(spans, 'batch', 'falaj-cpu-worker');
  expect(batch.parentId).toBe(serve.id);
  expect(only(spans, 'onnxruntime run', 'falaj-cpu-worker').parentId).toBe(batch.id);
}

describe('traces across every hop, in Zipkin (e2e)', () => {
  const suite = new FalajSuite();
  let token: string;

  beforeAll(async () => {
    // A batch forms while 8 requests wait up to 300 ms for each other.
    await suite.start({
      tracing: { sampling: 1, zipkinUrl: `${ZIPKIN}/api/v2/spans` },
      env: { 'cpu-worker': { FALAJ_BATCHING: 'true', FALAJ_BATCH_MAX_SIZE: '8', FALAJ_BATCH_MAX_QUEUE_DELAY_MICROS: '300000' } },
    });
    const admin = await suite.platformAdminToken();
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'acme', name: 'Acme', residency: 'ae' })).status).toBe(201);
    token = await suite.token({ tenantId: 'acme', subject: 'svc', scopes: ['infer', 'models:write', 'models:read'] });
    await suite.call('POST', '/admin/models', token, { name: 'tiny-mlp' });
    await suite.call('POST', '/admin/models/tiny-mlp/versions', token, readFileSync(MODEL), { 'content-type': 'application/octet-stream' });
    await suite.call('POST', '/admin/models/tiny-mlp/versions/1/stage', token, { stage: 'production' });
    await eventually('model ready', async () => ((await suite.call('GET', '/v2/models/tiny-mlp/ready', token)).status === 200 ? true : undefined), 90_000);
  }, 240_000);

  afterAll(async () => {
    await suite.stop();
  }, 60_000);

  it('records a REST call as one trace under the caller’s span, and answers with its traceresponse', async () => {
    const caller = callerContext();
    const answered = await suite.call('POST', '/v2/models/tiny-mlp/infer', token, { inputs: [INPUT] }, { traceparent: traceparentOf(caller) });
    expect(answered.status).toBe(200);
    const traceresponse = answered.headers.get('traceresponse')!;
    expect(traceresponse).toMatch(new RegExp(`^00-${caller.traceId}-[0-9a-f]{16}-01$`));
    const spans = await traceOf(caller.traceId, ['post /v2/models/:name/infer', 'onnxruntime run', 'audit', 'reply']);
    const edge = only(spans, 'post /v2/models/:name/infer', 'falaj-gateway');
    expect(edge.parentId).toBe(caller.spanId);
    expect(edge.kind).toBe('SERVER');
    // The traceresponse names the gateway's span that answered.
    expect(traceresponse.split('-')[2]).toBe(edge.id);
    expectWorkerChain(spans, edge, 'falaj-gateway');
    expect(only(spans, 'audit', 'falaj-gateway').parentId).toBe(edge.id);
  }, 60_000);

  it('records nothing of a call whose caller says "not sampled", on any app, and hands its context back as it came', async () => {
    const unsampled = callerContext();
    const header = `00-${unsampled.traceId}-${unsampled.spanId}-00`;
    const answered = await suite.call('POST', '/v2/models/tiny-mlp/infer', token, { inputs: [INPUT] }, { traceparent: header });
    expect(answered.status).toBe(200);
    expect(answered.headers.get('traceresponse')).toBe(header);
    // A sampled call after it: once its trace is whole in Zipkin, the apps have exported what came before it.
    const marker = callerContext();
    await suite.call('POST', '/v2/models/tiny-mlp/infer', token, { inputs: [INPUT] }, { traceparent: traceparentOf(marker) });
    await traceOf(marker.traceId, ['post /v2/models/:name/infer', 'onnxruntime run', 'audit', 'reply']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const response = await fetch(`${ZIPKIN}/api/v2/trace/${unsampled.traceId}`);
    const spans = response.status === 200 ? ((await response.json()) as ZipkinSpan[]) : [];
    expect(spans.map((s) => `${s.localEndpoint?.serviceName} ${s.name}`)).toEqual([]);
  }, 60_000);

  it('links the latency buckets to the trace: exemplars in OpenMetrics, stored and queried by a real Prometheus', async () => {
    const operator = await suite.token({ tenantId: '_platform', subject: 'ops', scopes: ['workers:read'] });
    const prometheus = await startPrometheus(suite, { apps: ['gateway', 'cpu-worker'], token: operator, features: ['exemplar-storage'] });
    try {
      await prometheus.allUp();
      const caller = callerContext();
      expect((await suite.call('POST', '/v2/models/tiny-mlp/infer', token, { inputs: [INPUT] }, { traceparent: traceparentOf(caller) })).status).toBe(200);
      // The scrape itself: OpenMetrics when asked for, the trace id on the bucket the call fell in.
      const scraped = await fetch(`${suite.appUrl('gateway')}/metrics`, { headers: { authorization: `Bearer ${operator}`, accept: 'application/openmetrics-text;version=1.0.0' } });
      expect(scraped.headers.get('content-type')).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
      expect((await scraped.text()).split('\n').some((l) => l.startsWith('falaj_inference_request_duration_seconds_bucket{') && l.includes(`# {trace_id="${caller.traceId}"}`))).toBe(true);
      const traced = async (promql: string) =>
        eventually(
          `an exemplar of ${caller.traceId} for ${promql}`,
          async () => {
            const found = (await prometheus.exemplars(promql)).flatMap((s) => s.exemplars).find((e) => e.labels.trace_id === caller.traceId);
            return found;
          },
          30_000,
          500,
        );
      expect(Number((await traced('falaj_inference_request_duration_seconds_bucket{model="tiny-mlp",protocol="rest"}')).value)).toBeGreaterThan(0);
      expect(Number((await traced('falaj_inference_compute_duration_seconds_bucket{model="tiny-mlp"}')).value)).toBeGreaterThan(0);
      // And the trace the exemplar names is in Zipkin.
      await traceOf(caller.traceId, ['post /v2/models/:name/infer', 'onnxruntime run']);
    } finally {
      prometheus.stop();
    }
  }, 90_000);

  it('records a gRPC call the same way, its context from the call metadata', async () => {
    const caller = callerContext();
    const client = new OipGrpcClient(suite.grpcTarget, token);
    try {
      const { metadata } = await client.infer({
        model: 'tiny-mlp',
        inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: Buffer.from(new Float32Array([1, 2, 3, 4]).buffer) }],
        metadata: { traceparent: traceparentOf(caller) },
      });
      expect(metadata.traceresponse).toMatch(new RegExp(`^00-${caller.traceId}-[0-9a-f]{16}-01$`));
    } finally {
      client.close();
    }
    const spans = await traceOf(caller.traceId, ['grpc modelinfer', 'onnxruntime run', 'reply']);
    const edge = only(spans, 'grpc modelinfer', 'falaj-gateway');
    expect(edge.parentId).toBe(caller.spanId);
    expectWorkerChain(spans, edge, 'falaj-gateway');
  }, 60_000);

  it('records a Kafka-streamed call under the traceparent header of its message', async () => {
    const caller = callerContext();
    const kafka = testKafka('e2e-tracing');
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: inferenceStreamTopics(suite.prefix).requests,
        messages: [
          { key: 'traced-1', value: JSON.stringify({ model_name: 'tiny-mlp', id: 'traced-1', inputs: [INPUT] }), headers: { authorization: `Bearer ${token}`, traceparent: traceparentOf(caller) } },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    const spans = await traceOf(caller.traceId, ['kafka infer', 'onnxruntime run', 'reply']);
    const edge = only(spans, 'kafka infer', 'falaj-router');
    expect(edge.parentId).toBe(caller.spanId);
    expect(edge.kind).toBe('CONSUMER');
    expectWorkerChain(spans, edge, 'falaj-router');
  }, 90_000);

  it('records a batch job as one trace: its submission through the gateway and the registry, then each row’s hops under it', async () => {
    const caller = callerContext();
    const rows = [
      [1, 2, 3, 4],
      [4, 3, 2, 1],
      [0, 1, 0, 1],
    ];
    const body = Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const submitted = await suite.call('POST', '/v2/batch/jobs?model=tiny-mlp', token, body, { 'content-type': 'application/x-ndjson', traceparent: traceparentOf(caller) });
    expect(submitted.status).toBe(201);
    await eventually('job completed', async () => ((await suite.call('GET', `/v2/batch/jobs/${submitted.json.id}`, token)).json.state === 'completed' ? true : undefined), 60_000, 200);
    // The worker may run the three rows as one batch: three serves, one or more runs.
    const spans = await eventually(
      'three rows in the trace',
      async () => {
        const found = await traceOf(caller.traceId, ['job row', 'serve', 'onnxruntime run']);
        return found.filter((span) => span.name === 'job row').length === 3 && found.filter((span) => span.name === 'serve').length === 3 ? found : undefined;
      },
      30_000,
      500,
    );
    // The gateway's route is its registry proxy's.
    const edge = only(spans, 'post /v2/batch/*', 'falaj-gateway');
    expect(edge.parentId).toBe(caller.spanId);
    const submission = only(spans, 'post /v2/batch/jobs', 'falaj-registry');
    expect(submission.parentId).toBe(edge.id);
    const jobRows = spans.filter((span) => span.name === 'job row');
    expect(jobRows.map((span) => span.tags?.['falaj.row']).sort()).toEqual(['0', '1', '2']);
    for (const row of jobRows) {
      expect(row.parentId).toBe(submission.id);
      expect(row.tags?.['falaj.job']).toBe(submitted.json.id);
      const dispatch = spans.find((span) => span.name === 'dispatch' && span.parentId === row.id);
      expect(dispatch?.localEndpoint?.serviceName).toBe('falaj-registry');
      expect(spans.some((span) => span.name === 'serve' && span.parentId === dispatch?.id && span.localEndpoint?.serviceName === 'falaj-cpu-worker')).toBe(true);
    }
  }, 90_000);

  it('names the 8 members of a batch of 8 on its span, each member a trace of its own', async () => {
    const callers = Array.from({ length: 8 }, callerContext);
    const answers = await Promise.all(callers.map((caller) => suite.call('POST', '/v2/models/tiny-mlp/infer', token, { inputs: [INPUT] }, { traceparent: traceparentOf(caller) })));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    const serves = await Promise.all(callers.map(async (caller) => only(await traceOf(caller.traceId, ['serve', 'queue']), 'serve', 'falaj-cpu-worker')));
    // The batch hangs under one member's span and names every member's.
    const batches = (await Promise.all(callers.map(async (caller) => (await traceOf(caller.traceId, ['serve'])).filter((s) => s.name === 'batch')))).flat();
    const eight = batches.find((b) => b.tags?.['falaj.batch.size'] === '8');
    expect(eight).toBeDefined();
    const members = eight!.tags!['falaj.batch.members'].split(',').sort();
    expect(members).toEqual(serves.map((s) => `${s.traceId}-${s.id}`).sort());
    // Each member's own trace still holds its queue wait under its own span.
    for (const [i, caller] of callers.entries()) expect(only(await traceOf(caller.traceId, ['queue']), 'queue', 'falaj-cpu-worker').parentId).toBe(serves[i].id);
  }, 90_000);
});
