import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { SCOPES } from '@falaj/auth';
import { decodeJwt } from 'jose';
import { FalajSuite, LocalIssuer, eventually, type SuiteClient } from '@falaj/testing';

/**
 * The backbone, end to end: the five apps from the build output, real Postgres, Redis, Kafka
 * and onnxruntime, spoken to over HTTP as a newcomer would after `npm start`.
 */
const MODEL = join(__dirname, '..', 'models', 'tiny-mlp.onnx');
const NOT_A_MODEL = join(__dirname, '..', 'models', 'not-a-model.onnx');
const MAX_UPLOAD = 64 * 1024;

describe('Falaj backbone (e2e)', () => {
  const suite = new FalajSuite();
  let admin: string;
  let token: string;
  let alice: SuiteClient;

  beforeAll(async () => {
    await suite.start({ gpuWorker: true, env: { registry: { FALAJ_MAX_UPLOAD_BYTES: String(MAX_UPLOAD) } } });
    admin = await suite.platformAdminToken();
  }, 120_000);

  afterAll(async () => {
    await suite.stop();
  }, 60_000);

  describe('authentication', () => {
    it('answers health without credentials', async () => {
      expect((await suite.call('GET', '/v2/health/live', null)).status).toBe(200);
      const ready = await suite.call('GET', '/v2/health/ready', null);
      expect(ready.status).toBe(200);
      // Kafka is reported, not required: with it away the audit events wait in the gateway's spool.
      expect(ready.json.checks.kafka).toBeUndefined();
      expect(ready.json.checks.audit).toMatchObject({ ok: true, writable: true });
      await eventually('the audit producer connected', async () => ((await suite.call('GET', '/v2/health/ready', null)).json.checks.audit.kafka === 'connected' ? true : undefined), 30_000);
    });

    it('refuses everything else without a valid bearer token, in the OIP error shape', async () => {
      const missing = await suite.call('GET', '/v2/models/anything', null);
      expect(missing.status).toBe(401);
      expect(missing.json).toEqual({ error: 'missing bearer token', code: 'unauthorized' });
      expect((await suite.call('GET', '/v2/models/anything', 'not-a-token')).status).toBe(401);
      expect((await suite.call('GET', '/admin/models', null)).status).toBe(401);
      // Claims the built-in issuer, signed by a key it never published.
      const stranger = new LocalIssuer();
      await stranger.start();
      const forged = await stranger.sign({ iss: suite.registryUrl, sub: 'mallory', tenant: 'acme', scope: SCOPES.infer });
      await stranger.stop();
      expect((await suite.call('GET', '/v2/models/anything', forged)).status).toBe(401);
    });

    it('refuses a token without the scope a route needs', async () => {
      await suite.call('POST', '/admin/tenants', admin, { id: 'readers', name: 'Readers', residency: 'ae' });
      const readOnly = await suite.token({ tenantId: 'readers', scopes: [SCOPES.modelsRead] });
      expect((await suite.call('POST', '/admin/models', readOnly, { name: 'x' })).status).toBe(403);
    });
  });

  describe('tenant onboarding through the admin API', () => {
    it('creates a tenant and issues it a token that carries its residency', async () => {
      const created = await suite.call('POST', '/admin/tenants', admin, { id: 'acme', name: 'Acme', residency: 'ae' });
      expect(created.status).toBe(201);
      alice = await suite.createClient('acme', ['infer', 'models:read', 'models:write', 'audit:read'], 'alice');
      token = await suite.clientToken(alice);
      expect(decodeJwt(token)).toMatchObject({ iss: suite.registryUrl, sub: alice.clientId, tenant: 'acme', residency: 'ae', scope: 'infer models:read models:write audit:read' });
      expect((await suite.call('GET', '/admin/models', token)).status).toBe(200);
    });

    it('keeps tenant creation to platform admins', async () => {
      expect((await suite.call('POST', '/admin/tenants', token, { id: 'evil', name: 'E', residency: 'ae' })).status).toBe(403);
    });
  });

  describe('model registration', () => {
    it('creates a model', async () => {
      const created = await suite.call('POST', '/admin/models', token, { name: 'tiny-mlp', description: 'demo MLP' });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ name: 'tiny-mlp', tenantId: 'acme' });
    });

    it('refuses an upload that is not an ONNX model, and stores nothing', async () => {
      const form = new FormData();
      form.append('file', new Blob([readFileSync(NOT_A_MODEL)]), 'not-a-model.onnx');
      const refused = await suite.call('POST', '/admin/models/tiny-mlp/versions', token, form);
      expect(refused.status).toBe(400);
      expect(refused.json.error).toMatch(/^not a valid ONNX model: .*Protobuf parsing failed/);
      expect(refused.json.error).not.toContain(suite.workDir);
      expect((await suite.call('GET', '/admin/models/tiny-mlp/versions', token)).json.versions).toEqual([]);
      expect(await suite.query('SELECT * FROM model_versions')).toEqual([]);
    });

    it('refuses an upload over the size limit with 413', async () => {
      const tooBig = new Uint8Array(MAX_UPLOAD + 1024);
      const refused = await suite.call('POST', '/admin/models/tiny-mlp/versions', token, tooBig, {
        'content-type': 'application/octet-stream',
      });
      expect(refused.status).toBe(413);
      expect(await suite.query('SELECT * FROM model_versions')).toEqual([]);
      expect(readdirSync(join(suite.workDir, 'artifacts', 'incoming'))).toEqual([]);
    });

    it('registers a valid model, hashing it and reading its signature', async () => {
      const bytes = readFileSync(MODEL);
      const registered = await suite.call('POST', '/admin/models/tiny-mlp/versions', token, bytes, {
        'content-type': 'application/octet-stream',
      });
      expect(registered.status).toBe(201);
      expect(registered.json).toMatchObject({
        version: 1,
        stage: 'draft',
        sizeBytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        signature: {
          inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
          outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
        },
      });
    });

    it('promotes the version to production', async () => {
      const promoted = await suite.call('POST', '/admin/models/tiny-mlp/versions/1/stage', token, { stage: 'production' });
      expect(promoted.status).toBe(200);
      expect(promoted.json.stage).toBe('production');
      const model = await suite.call('GET', '/admin/models/tiny-mlp/versions/1', token);
      expect(model.json.stageChangedBy).toBe(alice.clientId);
    });
  });

  describe('inference over OIP v2 REST', () => {
    const rows = [
      [0.1, 0.2, 0.3, 0.4],
      [1, -2, 3.5, 0],
      [-0.7, 0.25, 2, 9],
    ];

    it('reports the model ready once a worker has loaded it', async () => {
      await eventually('model ready', async () => {
        const ready = await suite.call('GET', '/v2/models/tiny-mlp/ready', token);
        return ready.status === 200 ? ready : undefined;
      });
      const metadata = await suite.call('GET', '/v2/models/tiny-mlp', token);
      expect(metadata.json).toEqual({
        name: 'tiny-mlp',
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
        outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
      });
    }, 40_000);

    let requestId = '';

    it('returns what onnxruntime computes on the same input, with the request id echoed', async () => {
      const result = await suite.call('POST', '/v2/models/tiny-mlp/infer', token, {
        id: 'client-42',
        inputs: [{ name: 'input', shape: [3, 4], datatype: 'FP32', data: rows }],
      });
      expect(result.status).toBe(200);
      requestId = result.headers.get('x-request-id') ?? '';
      expect(requestId).not.toBe('');
      expect(result.headers.get('x-falaj-model-version')).toBe('1');
      expect(result.headers.get('x-falaj-pool')).toBe('cpu.ae');
      expect(result.json).toMatchObject({ model_name: 'tiny-mlp', model_version: '1', id: 'client-42' });

      const session = await InferenceSession.create(MODEL);
      const direct = await session.run({ input: new Tensor('float32', Float32Array.from(rows.flat()), [3, 4]) });
      await session.release();
      const [output] = result.json.outputs;
      expect(output).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [3, 3] });
      const expected = Array.from(direct.probabilities.data as Float32Array);
      expect(output.data).toHaveLength(expected.length);
      output.data.forEach((value: number, i: number) => expect(value).toBeCloseTo(expected[i], 6));
    });

    it('writes the call to the audit log in Postgres, tagged with residency, and lists it', async () => {
      const [row] = await eventually('audit row', async () => {
        const found = await suite.query('SELECT * FROM audit_log WHERE request_id = $1', [requestId]);
        return found.length > 0 ? found : undefined;
      });
      expect(row).toMatchObject({
        tenant_id: 'acme',
        subject: alice.clientId,
        model: 'tiny-mlp',
        version: 1,
        pool: 'cpu.ae',
        protocol: 'rest',
        status: 200,
        residency_region: 'ae',
        served_region: 'ae',
      });
      // The region's partition, and under it this month's (docs/audit.md#retention).
      const partitions = await suite.query(
        `SELECT tableoid::regclass::text AS part, (SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = a.tableoid) AS region FROM audit_log a WHERE request_id = $1`,
        [requestId],
      );
      expect(partitions[0]).toEqual({ region: 'audit_log_ae', part: `audit_log_ae_p${new Date().toISOString().slice(0, 7).replace('-', '')}` });
      const listed = await suite.call('GET', `/admin/audit?requestId=${requestId}`, token);
      expect(listed.json.records).toHaveLength(1);
    });

    it('answers 404 for an unknown model', async () => {
      const result = await suite.call('POST', '/v2/models/no-such-model/infer', token, { inputs: [] });
      expect(result.status).toBe(404);
      expect(result.json).toEqual({ error: "model 'no-such-model' not found", code: 'unroutable' });
    });

    it.each([
      ['a wrong input name', { name: 'pixels', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }, /'pixels' is not an input/],
      ['a wrong shape', { name: 'input', shape: [1, 5], datatype: 'FP32', data: [1, 2, 3, 4, 5] }, /shape \[1,5\] does not match/],
      ['a wrong datatype', { name: 'input', shape: [1, 4], datatype: 'INT32', data: [1, 2, 3, 4] }, /expected datatype FP32, got INT32/],
      ['too few elements', { name: 'input', shape: [2, 4], datatype: 'FP32', data: [1, 2, 3, 4] }, /input 'input'/],
    ])('answers 400 naming the problem for %s', async (_case, input, message) => {
      const result = await suite.call('POST', '/v2/models/tiny-mlp/infer', token, { inputs: [input] });
      expect(result.status).toBe(400);
      expect(Object.keys(result.json).sort()).toEqual(['code', 'error']);
      expect(result.json.error).toMatch(message);
      expect(result.json.code).toBe('bad_request');
    });

    it('keeps tenants apart: another tenant cannot see or call the model', async () => {
      await suite.call('POST', '/admin/tenants', admin, { id: 'globex', name: 'Globex', residency: 'ae' });
      const other = await suite.token({ tenantId: 'globex', subject: 'bob', scopes: ['infer', 'models:read'] });
      expect((await suite.call('GET', '/admin/models/tiny-mlp', other)).status).toBe(404);
      expect((await suite.call('GET', '/v2/models/tiny-mlp', other)).status).toBe(404);
      expect((await suite.call('POST', '/v2/models/tiny-mlp/infer', other, { inputs: [] })).status).toBe(404);
    });
  });

  describe('gpu-worker without a GPU', () => {
    it('stays out of the GPU pool and says why in its health output', async () => {
      const gpu = suite.app('gpu-worker');
      const statusUrl = gpu.healthUrl.replace('/live', '/status');
      // It lists tenants' models: never to an anonymous caller or a tenant.
      expect((await fetch(statusUrl)).status).toBe(401);
      expect((await fetch(statusUrl, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
      const status = (await (await fetch(statusUrl, { headers: { authorization: `Bearer ${admin}` } })).json()) as { reason: string };
      expect(status).toMatchObject({ hardware: 'gpu', pool: null, executionProvider: 'cpu' });
      expect(status.reason).toMatch(/CUDA execution provider unavailable/);
      const ready = await fetch(gpu.healthUrl.replace('/live', '/ready'));
      expect(ready.status).toBe(503);
    });
  });

  describe('shutdown', () => {
    it('stops every app on SIGTERM (Ctrl-C) without having to kill it', async () => {
      const graceful = await suite.stop();
      expect(graceful).toEqual({ registry: true, router: true, 'cpu-worker': true, 'gpu-worker': true, gateway: true });
    }, 60_000);
  });
});
