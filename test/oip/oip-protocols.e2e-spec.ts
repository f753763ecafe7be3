import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { SCOPES } from '@falaj/auth';
import type { TensorPayload } from '@falaj/contracts';
import { FalajSuite, OipGrpcClient, decodeBinaryInferResponse, encodeBinaryInferRequest, eventually } from '@falaj/testing';

/**
 * Every protocol the gateway speaks, end to end against the five built apps: OIP v2 REST (JSON
 * and Triton's binary tensor extension, gzip/deflate both ways), OIP gRPC and KServe v1, each
 * checked against onnxruntime run directly on the same model, and each refusing bad input with
 * its protocol's status.
 */
const MODEL = join(__dirname, '..', '..', 'models', 'tiny-mlp.onnx');
const MAX_REQUEST = 64 * 1024;
const ROWS = [
  [0.1, 0.2, 0.3, 0.4],
  [1, -2, 3.5, 0],
];

const fp32 = (name: string, shape: number[], values: number[]): TensorPayload => {
  const data = Buffer.from(new Float32Array(values).buffer);
  return { name, datatype: 'FP32', shape, data };
};
/** The fields these tests read from a JSON answer. */
interface AnswerBody {
  error: string;
  outputs: Array<{ shape: number[]; data: unknown[] }>;
}
const bodyOf = async (response: Response): Promise<AnswerBody> => (await response.json()) as AnswerBody;
const floats = (payload: TensorPayload): number[] => Array.from(new Float32Array(payload.data.buffer.slice(payload.data.byteOffset, payload.data.byteOffset + payload.data.length)));

describe('OIP protocols (e2e)', () => {
  const suite = new FalajSuite();
  let token: string;
  let expected: number[];
  let grpc: OipGrpcClient;

  const infer = (path: string, body: Buffer | string, headers: Record<string, string>) =>
    fetch(`${suite.gatewayUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers }, body });

  beforeAll(async () => {
    await suite.start({ env: { gateway: { FALAJ_MAX_REQUEST_BYTES: String(MAX_REQUEST) } } });
    const admin = await suite.platformAdminToken();
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'acme', name: 'Acme', residency: 'ae' })).status).toBe(201);
    token = await suite.token({ tenantId: 'acme', subject: 'alice', scopes: ['infer', 'models:write', 'audit:read'] });
    expect((await suite.call('POST', '/admin/models', token, { name: 'tiny-mlp' })).status).toBe(201);
    const upload = await suite.call('POST', '/admin/models/tiny-mlp/versions', token, readFileSync(MODEL), { 'content-type': 'application/octet-stream' });
    expect(upload.status).toBe(201);
    expect((await suite.call('POST', '/admin/models/tiny-mlp/versions/1/stage', token, { stage: 'production' })).status).toBe(200);
    await eventually('model ready', async () => ((await suite.call('GET', '/v2/models/tiny-mlp/ready', token)).status === 200 ? true : undefined), 60_000);

    const session = await InferenceSession.create(MODEL);
    const result = await session.run({ input: new Tensor('float32', Float32Array.from(ROWS.flat()), [2, 4]) });
    expected = Array.from(result.probabilities.data as Float32Array);
    await session.release();
    grpc = new OipGrpcClient(suite.grpcTarget, token);
  }, 180_000);

  let stopped = false;
  afterAll(async () => {
    grpc?.close();
    if (!stopped) await suite.stop();
  }, 60_000);

  describe('REST endpoints', () => {
    it('answers server live, ready and metadata with the extensions it supports', async () => {
      expect((await suite.call('GET', '/v2/health/live', null)).json).toEqual({ live: true });
      expect((await suite.call('GET', '/v2/health/ready', null)).status).toBe(200);
      expect((await suite.call('GET', '/v2', token)).json).toEqual({ name: 'falaj', version: '0.1.0', extensions: ['binary_tensor_data'] });
    });

    it('answers model metadata and readiness with and without a version, and 404 for unknown ones', async () => {
      expect((await suite.call('GET', '/v2/models/tiny-mlp/versions/1', token)).json).toMatchObject({ name: 'tiny-mlp', versions: ['1'] });
      expect((await suite.call('GET', '/v2/models/tiny-mlp/versions/1/ready', token)).json).toEqual({ name: 'tiny-mlp', ready: true });
      expect((await suite.call('GET', '/v2/models/tiny-mlp/versions/9', token)).status).toBe(404);
      expect((await suite.call('GET', '/v2/models/nope', token)).status).toBe(404);
      const unknownVersion = await suite.call('POST', '/v2/models/tiny-mlp/versions/9/infer', token, { inputs: [] });
      expect(unknownVersion.status).toBe(404);
      expect(unknownVersion.json.error).toMatch(/version 9/);
    });

    it('infers over JSON with nested data on the version path, echoing the id and taking request parameters', async () => {
      const answer = await suite.call('POST', '/v2/models/tiny-mlp/versions/1/infer', token, {
        id: 'call-7',
        parameters: { priority: 1, note: 'any' },
        inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data: ROWS }],
        outputs: [{ name: 'probabilities' }],
      });
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ model_name: 'tiny-mlp', model_version: '1', id: 'call-7' });
      expect(answer.json.outputs[0].data).toHaveLength(6);
      answer.json.outputs[0].data.forEach((v: number, i: number) => expect(v).toBeCloseTo(expected[i], 5));
    });
  });

  describe('binary tensor data extension', () => {
    it('takes binary inputs and returns binary outputs asked for per output', async () => {
      const { body, headers } = encodeBinaryInferRequest({
        id: 'bin-1',
        inputs: [fp32('input', [2, 4], ROWS.flat())],
        outputs: [{ name: 'probabilities', binary: true }],
      });
      const response = await infer('/v2/models/tiny-mlp/infer', body, headers);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/octet-stream');
      const decoded = decodeBinaryInferResponse(Buffer.from(await response.arrayBuffer()), response.headers.get('inference-header-content-length'));
      expect(decoded.binary).toEqual(['probabilities']);
      expect(decoded.header).toMatchObject({ id: 'bin-1', outputs: [{ name: 'probabilities', shape: [2, 3], parameters: { binary_data_size: 24 } }] });
      expect(floats(decoded.outputs[0])).toEqual(Array.from(Float32Array.from(expected)));
    });

    it('returns every output as binary under the request-level binary_data_output, and JSON when not asked', async () => {
      const all = encodeBinaryInferRequest({ inputs: [fp32('input', [2, 4], ROWS.flat())], binaryDataOutput: true });
      const binary = await infer('/v2/models/tiny-mlp/infer', all.body, all.headers);
      expect(binary.headers.get('inference-header-content-length')).not.toBeNull();
      const plain = encodeBinaryInferRequest({ inputs: [fp32('input', [2, 4], ROWS.flat())] });
      const json = await infer('/v2/models/tiny-mlp/infer', plain.body, plain.headers);
      expect(json.headers.get('inference-header-content-length')).toBeNull();
      expect(json.headers.get('content-type')).toMatch(/^application\/json/);
      expect((await bodyOf(json)).outputs[0].data).toHaveLength(6);
    });

    it('refuses a binary_data_size that does not fit the shape, and bytes no input claims', async () => {
      const { body, headers } = encodeBinaryInferRequest({ inputs: [fp32('input', [2, 4], ROWS.flat())] });
      const short = await infer('/v2/models/tiny-mlp/infer', body.subarray(0, body.length - 4), headers);
      expect(short.status).toBe(400);
      expect((await bodyOf(short)).error).toMatch(/binary_data_size 32 runs past/);
      const extra = await infer('/v2/models/tiny-mlp/infer', Buffer.concat([body, Buffer.alloc(3)]), headers);
      expect(extra.status).toBe(400);
      expect((await bodyOf(extra)).error).toMatch(/3 bytes of binary data that no input/);
    });
  });

  describe('compression', () => {
    const json = JSON.stringify({ inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data: ROWS.flat() }] });

    it.each([
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['identity', (b: Buffer) => b],
    ])('inflates a %s request body', async (encoding, compressFn) => {
      const response = await infer('/v2/models/tiny-mlp/infer', compressFn(Buffer.from(json)), { 'content-type': 'application/json', 'content-encoding': encoding });
      expect(response.status).toBe(200);
      expect((await bodyOf(response)).outputs[0].shape).toEqual([2, 3]);
    });

    it('compresses the response when the client accepts gzip', async () => {
      const rows = Array.from({ length: 64 }, (_, i) => [i, i / 2, -i, 1]);
      const body = JSON.stringify({ inputs: [{ name: 'input', shape: [64, 4], datatype: 'FP32', data: rows }] });
      const { request } = await import('undici');
      const response = await request(`${suite.gatewayUrl}/v2/models/tiny-mlp/infer`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-encoding': 'gzip' },
        body,
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-encoding']).toBe('gzip');
      const decoded = JSON.parse(gunzipSync(Buffer.from(await response.body.arrayBuffer())).toString());
      expect(decoded.outputs[0].shape).toEqual([64, 3]);
    });

    it('answers 413 for a body over the limit, and for a gzip body that inflates past it (a zip bomb)', async () => {
      const tooBig = await infer('/v2/models/tiny-mlp/infer', Buffer.alloc(MAX_REQUEST + 1, 0x20), { 'content-type': 'application/json' });
      expect(tooBig.status).toBe(413);
      // Fastify's own refusal in OIP's shape (the one error filter), not Fastify's default body.
      expect(await bodyOf(tooBig)).toEqual({ error: expect.stringMatching(/too large/i), code: 'payload_too_large' });
      const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
      expect(bomb.length).toBeLessThan(MAX_REQUEST);
      const refused = await infer('/v2/models/tiny-mlp/infer', bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      expect(refused.status).toBe(413);
      expect((await suite.call('GET', '/v2/health/live', null)).status).toBe(200);
    });

    it('refuses an encoding it does not speak with 415', async () => {
      const response = await infer('/v2/models/tiny-mlp/infer', Buffer.from(json), { 'content-type': 'application/json', 'content-encoding': 'compress' });
      expect(response.status).toBe(415);
    });
  });

  describe('validation against the signature', () => {
    const call = (input: Record<string, unknown>) =>
      suite.call('POST', '/v2/models/tiny-mlp/infer', token, { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4], ...input }] });

    it.each([
      [{ name: 'pixels' }, "input 'pixels' is not an input of the model; it takes 'input'"],
      [{ datatype: 'FP64' }, "input 'input': expected datatype FP32, got FP64"],
      [{ shape: [1, 5], data: [1, 2, 3, 4, 5] }, "input 'input': shape [1,5] does not match the model's [-1,4]"],
      [{ data: [1, 2, 3] }, "input 'input': data has 3 elements, shape [1,4] needs 4"],
    ])('answers 400 for %j', async (input, error) => {
      const answer = await call(input);
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ error, code: 'bad_request' });
    });

    it('answers 400 for malformed JSON and for an unknown requested output', async () => {
      const broken = await infer('/v2/models/tiny-mlp/infer', '{"inputs": [', { 'content-type': 'application/json' });
      expect(broken.status).toBe(400);
      expect((await bodyOf(broken)).error).toMatch(/not valid JSON/);
      const unknown = await suite.call('POST', '/v2/models/tiny-mlp/infer', token, {
        inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }],
        outputs: [{ name: 'logits' }],
      });
      expect(unknown.json).toEqual({ error: "requested output 'logits' is not an output of the model; it has 'probabilities'", code: 'bad_request' });
    });
  });

  describe('KServe v1', () => {
    it('reports model status', async () => {
      expect((await suite.call('GET', '/v1/models/tiny-mlp', token)).json).toEqual({ name: 'tiny-mlp', ready: true });
      expect((await suite.call('GET', '/v1/models/nope', token)).status).toBe(404);
    });

    it('predicts from instances and from columnar inputs, a row per instance', async () => {
      for (const body of [{ instances: ROWS }, { inputs: ROWS }, { instances: ROWS.map((input) => ({ input })) }]) {
        const answer = await suite.call('POST', '/v1/models/tiny-mlp:predict', token, body);
        expect(answer.status).toBe(200);
        expect(answer.json.predictions).toHaveLength(2);
        expect(answer.json.predictions[1]).toHaveLength(3);
        answer.json.predictions.flat().forEach((v: number, i: number) => expect(v).toBeCloseTo(expected[i], 5));
      }
    });

    it('refuses bad instances with 400, and other verbs with 404', async () => {
      const bad = await suite.call('POST', '/v1/models/tiny-mlp:predict', token, { instances: [[1, 2, 3]] });
      expect(bad.status).toBe(400);
      expect(bad.json.error).toMatch(/shape \[1,3\] does not match/);
      expect((await suite.call('POST', '/v1/models/tiny-mlp:predict', token, { instances: [], inputs: [] })).status).toBe(400);
      expect((await suite.call('POST', '/v1/models/tiny-mlp:explain', token, { instances: ROWS })).status).toBe(404);
    });
  });

  describe('gRPC', () => {
    const expectCode = async (promise: Promise<unknown>, code: GrpcStatus, details?: RegExp) => {
      const error = await promise.then(
        () => null,
        (e: ServiceError) => e,
      );
      expect(error?.code).toBe(code);
      if (details) expect(error?.details).toMatch(details);
    };

    it('answers ServerLive, ServerReady, ServerMetadata', async () => {
      await expect(grpc.call('ServerLive')).resolves.toEqual({ live: true });
      await expect(grpc.call('ServerReady')).resolves.toEqual({ ready: true });
      await expect(grpc.call('ServerMetadata')).resolves.toEqual({ name: 'falaj', version: '0.1.0', extensions: ['binary_tensor_data'] });
    });

    it('answers ModelReady and ModelMetadata, NOT_FOUND for an unknown model', async () => {
      await expect(grpc.call('ModelReady', { name: 'tiny-mlp', version: '1' })).resolves.toEqual({ ready: true });
      await expect(grpc.call('ModelMetadata', { name: 'tiny-mlp' })).resolves.toMatchObject({
        name: 'tiny-mlp',
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'input', datatype: 'FP32', shape: ['-1', '4'] }],
      });
      await expectCode(grpc.call('ModelMetadata', { name: 'nope' }), GrpcStatus.NOT_FOUND, /model 'nope' not found/);
    });

    it('infers with raw_input_contents, echoing the id, and audits the call as grpc', async () => {
      const { response, outputs } = await grpc.infer({ model: 'tiny-mlp', id: 'grpc-1', inputs: [fp32('input', [2, 4], ROWS.flat())] });
      expect(response).toMatchObject({ model_name: 'tiny-mlp', model_version: '1', id: 'grpc-1' });
      expect(outputs[0].shape).toEqual([2, 3]);
      expect(floats(outputs[0])).toEqual(Array.from(Float32Array.from(expected)));
      const [row] = await eventually('grpc audit row', async () => {
        const rows = await suite.query("SELECT protocol, status FROM audit_log WHERE protocol = 'grpc' AND status = 200");
        return rows.length > 0 ? rows : undefined;
      });
      expect(row).toEqual({ protocol: 'grpc', status: 200 });
    });

    it('infers with typed contents on the version given', async () => {
      const response = await grpc.call<{ raw_output_contents: Buffer[]; model_version: string }>('ModelInfer', {
        model_name: 'tiny-mlp',
        model_version: '1',
        inputs: [{ name: 'input', datatype: 'FP32', shape: ['2', '4'], contents: { fp32_contents: ROWS.flat() } }],
      });
      expect(response.model_version).toBe('1');
      expect(floats({ name: 'p', datatype: 'FP32', shape: [6], data: response.raw_output_contents[0] })).toEqual(Array.from(Float32Array.from(expected)));
    });

    it('refuses a missing or bad token, a missing scope, bad tensors and unknown models with the mapped status', async () => {
      await expectCode(grpc.call('ModelInfer', { model_name: 'tiny-mlp' }, ''), GrpcStatus.UNAUTHENTICATED, /missing bearer token/);
      await expectCode(grpc.call('ModelMetadata', { name: 'tiny-mlp' }, 'not-a-token'), GrpcStatus.UNAUTHENTICATED);
      const noScope = await suite.token({ tenantId: 'acme', scopes: [SCOPES.auditRead] });
      await expectCode(grpc.call('ModelMetadata', { name: 'tiny-mlp' }, noScope), GrpcStatus.PERMISSION_DENIED);
      await expectCode(grpc.infer({ model: 'tiny-mlp', inputs: [fp32('input', [1, 3], [1, 2, 3])] }), GrpcStatus.INVALID_ARGUMENT, /shape \[1,3\] does not match/);
      await expectCode(grpc.infer({ model: 'nope', inputs: [] }), GrpcStatus.NOT_FOUND);
      await expectCode(grpc.infer({ model: 'tiny-mlp', version: '9', inputs: [] }), GrpcStatus.NOT_FOUND);
      await suite.call('POST', '/admin/tenants', await suite.platformAdminToken(), { id: 'globex', name: 'Globex', residency: 'ae' });
      const otherTenant = new OipGrpcClient(suite.grpcTarget, await suite.token({ tenantId: 'globex', scopes: [SCOPES.infer] }));
      await expectCode(otherTenant.infer({ model: 'tiny-mlp', inputs: [fp32('input', [1, 4], [1, 2, 3, 4])] }), GrpcStatus.NOT_FOUND);
      otherTenant.close();
    });

    it('refuses a message over the size limit with RESOURCE_EXHAUSTED', async () => {
      const rows = MAX_REQUEST / 16 + 16;
      await expectCode(grpc.infer({ model: 'tiny-mlp', inputs: [fp32('input', [rows, 4], new Array(rows * 4).fill(0))] }), GrpcStatus.RESOURCE_EXHAUSTED);
    });
  });

  describe('shutdown', () => {
    it('closes the gRPC port with the gateway, gracefully', async () => {
      await expect(grpc.call('ServerLive')).resolves.toEqual({ live: true });
      stopped = true;
      const graceful = await suite.stop();
      expect(graceful.gateway).toBe(true);
      const late = new OipGrpcClient(suite.grpcTarget, token);
      const error = await late.call('ServerLive').then(
        () => null,
        (e: ServiceError) => e,
      );
      expect(error?.code).toBe(GrpcStatus.UNAVAILABLE);
      late.close();
    }, 60_000);
  });
});
