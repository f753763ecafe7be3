import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Consumer } from 'kafkajs';
import { SCOPES } from '@falaj/auth';
import { encodeBytesElements, inferenceStreamTopics, tenantReplyTopicNamespace } from '@falaj/contracts';
import { FalajSuite, OipGrpcClient, eventually, testKafka } from '@falaj/testing';
import { brokenModel, stringIdentity } from '../support/onnx-fixtures';

/**
 * Issue 11's remaining named limits, each performed on the real stack (the five built apps over
 * real Postgres, Redis, Kafka and onnxruntime): elements per tensor and BYTES element length on
 * REST, KServe v1, gRPC, Kafka and batch rows, each refusal counted in
 * `falaj_limit_refusals_total` of the app that refused it; deployment maxima on a blue-green
 * switch and a rollout; and a batch row the model fails to run, answered with the safe message.
 */
const MLP = readFileSync(join(__dirname, '..', '..', 'models', 'tiny-mlp.onnx'));
const octet = { 'content-type': 'application/octet-stream' };
const MAX_ELEMENTS = 16;
const MAX_BYTES_ELEMENT = 64;
const LIMIT_ENV = { FALAJ_MAX_TENSOR_ELEMENTS: String(MAX_ELEMENTS), FALAJ_MAX_BYTES_ELEMENT_BYTES: String(MAX_BYTES_ELEMENT) };
const ELEMENTS_ERROR = `input 'input': shape [5,4] has 20 elements, over the limit of ${MAX_ELEMENTS} per tensor (FALAJ_MAX_TENSOR_ELEMENTS)`;
const BYTES_ERROR = `input 'x': element 1 is ${MAX_BYTES_ELEMENT + 1} bytes, over the limit of ${MAX_BYTES_ELEMENT} bytes per BYTES element (FALAJ_MAX_BYTES_ELEMENT_BYTES)`;
const fiveRows = () => Array.from({ length: 20 }, (_, i) => i / 10);
const longText = 'x'.repeat(MAX_BYTES_ELEMENT + 1);
jest.setTimeout(120_000);

describe('named limits on every entry point (e2e)', () => {
  const suite = new FalajSuite();
  const topics = inferenceStreamTopics(suite.prefix);
  const kafka = testKafka('e2e-limits');
  const producer = kafka.producer();
  let consumer: Consumer | undefined;
  const responses = new Map<string, { status?: string; body: { error?: string; code?: string } }>();
  let token = '';

  /** `falaj_limit_refusals_total{limit}` of an app, 0 before its first refusal. */
  const refusals = async (url: string, limit: string): Promise<number> => {
    const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${await suite.platformAdminToken()}` } });
    expect(response.status).toBe(200);
    const line = (await response.text()).split('\n').find((l) => l.startsWith(`falaj_limit_refusals_total{limit="${limit}"}`));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  };
  const routerUrl = () => suite.app('router').healthUrl.replace('/health/ready', '');

  beforeAll(async () => {
    await suite.start({
      env: {
        gateway: LIMIT_ENV,
        router: LIMIT_ENV,
        registry: { ...LIMIT_ENV, FALAJ_MAX_INSTANCE_COUNT: '2' },
        'cpu-worker': LIMIT_ENV,
      },
    });
    const admin = await suite.platformAdminToken();
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'lim', name: 'Lim', residency: 'ae' })).status).toBe(201);
    token = await suite.token({ tenantId: 'lim', subject: 'lim-app', scopes: [SCOPES.infer, SCOPES.modelsRead, SCOPES.modelsWrite, SCOPES.deploymentsWrite] });
    for (const [name, versions] of [
      ['mlp', [MLP, MLP]],
      ['text', [stringIdentity()]],
      ['broken', [brokenModel()]],
    ] as const) {
      expect((await suite.call('POST', '/admin/models', token, { name })).status).toBe(201);
      for (const bytes of versions) expect((await suite.call('POST', `/admin/models/${name}/versions`, token, bytes, octet)).status).toBe(201);
      expect((await suite.call('POST', `/admin/models/${name}/versions/1/stage`, token, { stage: 'production' })).status).toBe(200);
    }
    for (const name of ['mlp', 'text', 'broken']) {
      await eventually(`${name} ready`, async () => ((await suite.call('GET', `/v2/models/${name}/ready`, token)).status === 200 ? true : undefined), 90_000);
    }
    await eventually(
      'streaming topics',
      async () => {
        const kafkaAdmin = kafka.admin();
        await kafkaAdmin.connect();
        const existing = await kafkaAdmin.listTopics().finally(() => kafkaAdmin.disconnect());
        return existing.includes(tenantReplyTopicNamespace(suite.prefix, 'lim')) ? true : undefined;
      },
      60_000,
    );
    await producer.connect();
    consumer = kafka.consumer({ groupId: `${suite.prefix}-e2e-limits`, readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic: tenantReplyTopicNamespace(suite.prefix, 'lim'), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        responses.set(message.key?.toString() ?? '', { status: message.headers?.status?.toString(), body: JSON.parse(message.value?.toString() ?? '{}') });
      },
    });
  }, 300_000);

  afterAll(async () => {
    await consumer?.disconnect();
    await producer.disconnect();
    await suite.stop();
  }, 60_000);

  describe('elements per tensor and BYTES element length', () => {
    it('REST JSON, binary and KServe v1: 413 naming the limit, counted at the gateway; a tensor at the limits is served', async () => {
      const elements = await refusals(suite.gatewayUrl, 'tensor_elements');
      const bytes = await refusals(suite.gatewayUrl, 'bytes_element');
      const many = await suite.call('POST', '/v2/models/mlp/infer', token, { inputs: [{ name: 'input', shape: [5, 4], datatype: 'FP32', data: fiveRows() }] });
      expect({ status: many.status, body: many.json }).toEqual({ status: 413, body: { error: ELEMENTS_ERROR, code: 'tensor_too_large' } });
      const kserve = await suite.call('POST', '/v1/models/mlp:predict', token, { instances: [0, 1, 2, 3, 4].map((i) => [i, 1, 2, 3]) });
      expect({ status: kserve.status, body: kserve.json }).toEqual({ status: 413, body: { error: ELEMENTS_ERROR, code: 'tensor_too_large' } });
      const long = await suite.call('POST', '/v2/models/text/infer', token, { inputs: [{ name: 'x', shape: [2], datatype: 'BYTES', data: ['ok', longText] }] });
      expect({ status: long.status, body: long.json }).toEqual({ status: 413, body: { error: BYTES_ERROR, code: 'tensor_too_large' } });
      // The binary extension: the same element framed in the body's tail.
      const framed = encodeBytesElements(['ok', longText]);
      const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: framed.length } }] }));
      const binary = await suite.call('POST', '/v2/models/text/infer', token, Buffer.concat([header, framed]), { ...octet, 'inference-header-content-length': String(header.length) });
      expect({ status: binary.status, body: binary.json }).toEqual({ status: 413, body: { error: BYTES_ERROR, code: 'tensor_too_large' } });
      expect(await refusals(suite.gatewayUrl, 'tensor_elements')).toBe(elements + 2);
      expect(await refusals(suite.gatewayUrl, 'bytes_element')).toBe(bytes + 2);

      const atLimits = await suite.call('POST', '/v2/models/text/infer', token, { inputs: [{ name: 'x', shape: [2], datatype: 'BYTES', data: ['ok', 'x'.repeat(MAX_BYTES_ELEMENT)] }] });
      expect(atLimits.status).toBe(200);
      expect(atLimits.json.outputs[0].data).toEqual(['ok', 'x'.repeat(MAX_BYTES_ELEMENT)]);
      expect((await suite.call('POST', '/v2/models/mlp/infer', token, { inputs: [{ name: 'input', shape: [4, 4], datatype: 'FP32', data: fiveRows().slice(0, 16) }] })).status).toBe(200);
    });

    it('gRPC: RESOURCE_EXHAUSTED with the same words, counted at the gateway', async () => {
      const elements = await refusals(suite.gatewayUrl, 'tensor_elements');
      const bytes = await refusals(suite.gatewayUrl, 'bytes_element');
      const client = new OipGrpcClient(suite.grpcTarget, token);
      try {
        const many = await client
          .infer({ model: 'mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [5, 4], data: Buffer.from(Float32Array.from(fiveRows()).buffer) }] })
          .catch((e: grpc.ServiceError) => e);
        expect(many).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: ELEMENTS_ERROR });
        const long = await client.infer({ model: 'text', inputs: [{ name: 'x', datatype: 'BYTES', shape: [2], data: encodeBytesElements(['ok', longText]) }] }).catch((e: grpc.ServiceError) => e);
        expect(long).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: BYTES_ERROR });
        // The details stay the readable message; the code REST's body carries is trailing metadata.
        expect([(many as grpc.ServiceError).metadata.get('falaj-error-code'), (long as grpc.ServiceError).metadata.get('falaj-error-code')]).toEqual([['tensor_too_large'], ['tensor_too_large']]);
        // Malformed input stays INVALID_ARGUMENT.
        const malformed = await client.infer({ model: 'mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: Buffer.alloc(3) }] }).catch((e: grpc.ServiceError) => e);
        expect(malformed).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
      } finally {
        client.close();
      }
      expect(await refusals(suite.gatewayUrl, 'tensor_elements')).toBe(elements + 1);
      expect(await refusals(suite.gatewayUrl, 'bytes_element')).toBe(bytes + 1);
    });

    it('Kafka: a 413 response naming the limit, counted at the router', async () => {
      const elements = await refusals(routerUrl(), 'tensor_elements');
      const bytes = await refusals(routerUrl(), 'bytes_element');
      const message = (id: string, model: string, inputs: unknown[]) => ({ key: id, value: JSON.stringify({ model_name: model, id, inputs }), headers: { authorization: `Bearer ${token}` } });
      await producer.send({
        topic: topics.requests,
        messages: [
          message('k-many', 'mlp', [{ name: 'input', shape: [5, 4], datatype: 'FP32', data: fiveRows() }]),
          message('k-long', 'text', [{ name: 'x', shape: [2], datatype: 'BYTES', data: ['ok', longText] }]),
          message('k-fine', 'text', [{ name: 'x', shape: [1], datatype: 'BYTES', data: ['ok'] }]),
        ],
      });
      await eventually('three answers', async () => (['k-many', 'k-long', 'k-fine'].every((k) => responses.has(k)) ? true : undefined), 90_000);
      expect(responses.get('k-many')).toMatchObject({ status: '413', body: { error: ELEMENTS_ERROR, code: 'tensor_too_large' } });
      expect(responses.get('k-long')).toMatchObject({ status: '413', body: { error: BYTES_ERROR, code: 'tensor_too_large' } });
      expect(responses.get('k-fine')?.status).toBe('200');
      expect(await refusals(routerUrl(), 'tensor_elements')).toBe(elements + 1);
      expect(await refusals(routerUrl(), 'bytes_element')).toBe(bytes + 1);
    });

    it('batch rows: the row over a limit fails alone with 413, counted at the registry', async () => {
      const elements = await refusals(suite.registryUrl, 'tensor_elements');
      const rows = [{ inputs: [{ name: 'input', shape: [5, 4], datatype: 'FP32', data: fiveRows() }] }, [1, 2, 3, 4]];
      const submitted = await suite.call('POST', '/v2/batch/jobs?model=mlp', token, Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n')), { 'content-type': 'application/x-ndjson' });
      expect(submitted.status).toBe(201);
      await eventually('job finished', async () => (['completed', 'failed'].includes((await suite.call('GET', `/v2/batch/jobs/${submitted.json.id}`, token)).json.state) ? true : undefined), 90_000);
      const lines = (await suite.call('GET', `/v2/batch/jobs/${submitted.json.id}/results`, token)).text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines[0]).toMatchObject({ index: 0, state: 'failed', status: 413, error: ELEMENTS_ERROR });
      expect(lines[1]).toMatchObject({ index: 1, state: 'done' });
      expect(await refusals(suite.registryUrl, 'tensor_elements')).toBe(elements + 1);
    });
  });

  describe('a batch row the model fails to run', () => {
    it("shows the REST path's safe message, the details in the registry's log under the row's request id", async () => {
      const submitted = await suite.call('POST', '/v2/batch/jobs?model=broken', token, Buffer.from('[1,2,3,4]\n[5,6,7,8]\n'), { 'content-type': 'application/x-ndjson' });
      expect(submitted.status).toBe(201);
      const id = submitted.json.id as string;
      await eventually('job finished', async () => (['completed', 'failed'].includes((await suite.call('GET', `/v2/batch/jobs/${id}`, token)).json.state) ? true : undefined), 90_000);
      const lines = (await suite.call('GET', `/v2/batch/jobs/${id}/results`, token)).text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => ({ status: l.status, error: l.error }))).toEqual([
        { status: 500, error: `the model failed to run this request (request id ${id}/0)` },
        { status: 500, error: `the model failed to run this request (request id ${id}/1)` },
      ]);
      // A row runs through the one inference pipeline (in the registry's job runner): the runtime's
      // own words are logged there, under the row's request id `<job>/<row>`.
      const logged = await eventually(
        'the details in the registry log',
        async () =>
          suite
            .app('registry')
            .logTail(500)
            .split('\n')
            .find((l) => l.includes(`${id}/0`) && l.includes('the model failed to run a request')),
        15_000,
      );
      expect(logged).toMatch(/Reshape|reshape/);
    });
  });

  describe('deployment maxima on every path that writes a revision', () => {
    const revisions = async () => (await suite.query<{ n: number }>(`SELECT count(*)::int AS n FROM deployment_revisions`))[0].n;

    it('refuses a PUT, a blue-green switch and a rollout over the platform maximum, counted at the registry', async () => {
      const before = await refusals(suite.registryUrl, 'deployment_instances');
      const put = await suite.call('PUT', '/admin/models/mlp/deployment', token, { targets: [{ version: 1, weight: 100 }], instanceCount: 3 });
      expect({ status: put.status, body: put.json }).toEqual({
        status: 400,
        body: { error: 'invalid deployment: instanceCount 3 is over the platform maximum of 2 (FALAJ_MAX_INSTANCE_COUNT)', code: 'invalid_deployment' },
      });
      expect((await suite.call('PUT', '/admin/models/mlp/deployment', token, { targets: [{ version: 1, weight: 100 }], instanceCount: 2 })).status).toBe(200);
      // A spec written before the maximum was lowered (as a restart with a smaller FALAJ_MAX_INSTANCE_COUNT leaves it):
      // the paths that carry it forward must not write it again.
      await suite.query(`UPDATE deployments SET spec = jsonb_set(spec, '{serving,instanceCount}', '8')`);
      const written = await revisions();
      const over = 'invalid deployment: instanceCount 8 is over the platform maximum of 2 (FALAJ_MAX_INSTANCE_COUNT)';
      const switched = await suite.call('POST', '/admin/models/mlp/deployment/switch', token, { version: 2 });
      expect({ status: switched.status, body: switched.json }).toEqual({ status: 400, body: { error: over, code: 'invalid_deployment' } });
      const rollout = await suite.call('POST', '/admin/models/mlp/rollouts', token, { canary: 2 });
      expect({ status: rollout.status, body: rollout.json }).toEqual({ status: 400, body: { error: over, code: 'invalid_deployment' } });
      expect(await revisions()).toBe(written);
      expect(await refusals(suite.registryUrl, 'deployment_instances')).toBe(before + 3);
    });
  });
});
