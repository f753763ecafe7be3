import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { FalajSuite, OipGrpcClient, eventually } from '@falaj/testing';

/**
 * Idempotency keys (issue 14, item 1) on the real stack: a retry with the same `Idempotency-Key`
 * gets the first answer back without the model running again (counted in the audit, one row per
 * run), on REST, KServe v1 and gRPC; the same key with another request is a 422; a key is the
 * tenant's own; a retry while the first call runs is a 409 with Retry-After; a retryable failure
 * frees the key.
 */
const MODEL = join(__dirname, '..', 'models', 'tiny-mlp.onnx');
const ROW = { name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] };
const body = (data = ROW.data) => ({ inputs: [{ ...ROW, data }] });

describe('idempotency keys (e2e)', () => {
  const suite = new FalajSuite();
  let acme: string;
  let globex: string;

  const infer = (token: string, key: string | undefined, requestId: string, data?: number[], model = 'tiny-mlp') =>
    suite.call('POST', `/v2/models/${model}/infer`, token, body(data), { 'x-request-id': requestId, ...(key ? { 'idempotency-key': key } : {}) });
  const auditRows = async (requestId: string) => (await suite.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log WHERE request_id = $1', [requestId]))[0].n;
  /** Waits until the control call's row is in (audit is asynchronous), then counts the call's rows. */
  const runsOf = async (requestId: string, control: string) => {
    await eventually(`audit row of ${control}`, async () => ((await auditRows(control)) > 0 ? true : undefined), 30_000);
    return auditRows(requestId);
  };

  beforeAll(async () => {
    // A short deadline, so that a call held by a paused worker times out (504, retryable) quickly.
    await suite.start({ env: { gateway: { FALAJ_INFER_TIMEOUT_MS: '2000' } } });
    const admin = await suite.platformAdminToken();
    for (const id of ['acme', 'globex']) await suite.call('POST', '/admin/tenants', admin, { id, name: id, residency: 'ae' });
    acme = await suite.token({ tenantId: 'acme', scopes: ['infer', 'models:write', 'models:read'] });
    globex = await suite.token({ tenantId: 'globex', scopes: ['infer', 'models:write', 'models:read'] });
    for (const token of [acme, globex]) {
      await suite.call('POST', '/admin/models', token, { name: 'tiny-mlp' });
      expect((await suite.call('POST', '/admin/models/tiny-mlp/versions', token, readFileSync(MODEL), { 'content-type': 'application/octet-stream' })).status).toBe(201);
      await suite.call('POST', '/admin/models/tiny-mlp/versions/1/stage', token, { stage: 'production' });
      await eventually('model ready', async () => ((await suite.call('GET', '/v2/models/tiny-mlp/ready', token)).status === 200 ? true : undefined));
    }
  }, 180_000);
  afterAll(() => suite.stop());

  it('REST: a retry gets the first answer, marked replayed, and the model ran once', async () => {
    const first = await infer(acme, 'order-1', 'idem-rest-1');
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const retry = await infer(acme, 'order-1', 'idem-rest-2');
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.text).toBe(first.text);
    // The kept answer is the first call's: its request id and what served it.
    expect(retry.headers.get('x-request-id')).toBe('idem-rest-1');
    expect(retry.headers.get('x-falaj-model-version')).toBe('1');
    await infer(acme, undefined, 'idem-rest-control');
    expect(await runsOf('idem-rest-1', 'idem-rest-control')).toBe(1);
    expect(await auditRows('idem-rest-2')).toBe(0);
  });

  it('REST: the same key with another request is a 422, and another key runs', async () => {
    await infer(acme, 'order-2', 'idem-422-1');
    const other = await infer(acme, 'order-2', 'idem-422-2', [6.2, 2.9, 4.3, 1.3]);
    expect(other.status).toBe(422);
    expect(other.json.error).toMatch(/^this Idempotency-Key was first used with another request/);
    expect(other.json.code).toBe('idempotency');
    expect((await infer(acme, 'order-3', 'idem-422-3', [6.2, 2.9, 4.3, 1.3])).status).toBe(200);
  });

  it("a key is the tenant's own: another tenant's same key runs its own call", async () => {
    const first = await infer(acme, 'shared-key', 'idem-tenant-acme');
    const theirs = await infer(globex, 'shared-key', 'idem-tenant-globex');
    expect(first.status).toBe(200);
    expect(theirs.status).toBe(200);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(theirs.headers.get('x-request-id')).toBe('idem-tenant-globex');
  });

  it('a final refusal is kept; a retryable one frees the key', async () => {
    // 404 (no such model) is final: the retry gets the same 404, replayed.
    const missing = await infer(acme, 'order-404', 'idem-404-1', undefined, 'nope');
    expect(missing.status).toBe(404);
    const again = await infer(acme, 'order-404', 'idem-404-2', undefined, 'nope');
    expect(again.status).toBe(404);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(missing.json.code).toBe('unroutable');
    // The code is kept with the message: the replay says what went wrong as the first answer did.
    expect(again.json).toEqual(missing.json);
    // 504 (the only worker paused past the deadline) is retryable: the key is freed, the retry runs.
    const worker = suite.app('cpu-worker').pid!;
    process.kill(worker, 'SIGSTOP');
    try {
      expect((await infer(acme, 'order-504', 'idem-504-1')).status).toBe(504);
    } finally {
      process.kill(worker, 'SIGCONT');
    }
    const retried = await infer(acme, 'order-504', 'idem-504-2');
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(retried.headers.get('x-request-id')).toBe('idem-504-2');
    // A malformed key is refused before anything runs.
    const bad = await infer(acme, 'x'.repeat(256), 'idem-bad');
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: 'Idempotency-Key must be 1 to 255 visible ASCII characters', code: 'bad_request' });
  });

  it('a retry while the first call still runs is a 409 with Retry-After, and neither runs twice', async () => {
    // The only worker is paused, so the first call waits in the pool stream.
    const worker = suite.app('cpu-worker').pid!;
    process.kill(worker, 'SIGSTOP');
    try {
      const first = infer(acme, 'order-slow', 'idem-slow-1');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const retry = await infer(acme, 'order-slow', 'idem-slow-2');
      expect(retry.status).toBe(409);
      expect(retry.headers.get('retry-after')).toBe('1');
      expect(retry.json).toEqual({ error: 'the first call with this Idempotency-Key is still running; retry in a moment', code: 'idempotency' });
      process.kill(worker, 'SIGCONT');
      expect((await first).status).toBe(200);
    } finally {
      process.kill(worker, 'SIGCONT');
    }
    const after = await infer(acme, 'order-slow', 'idem-slow-3');
    expect(after.headers.get('idempotent-replayed')).toBe('true');
    expect(after.headers.get('x-request-id')).toBe('idem-slow-1');
  });

  it('KServe v1: a retry gets the first predictions back', async () => {
    const call = (requestId: string) => suite.call('POST', '/v1/models/tiny-mlp:predict', acme, { instances: [ROW.data] }, { 'x-request-id': requestId, 'idempotency-key': 'v1-order' });
    const first = await call('idem-v1-1');
    const retry = await call('idem-v1-2');
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.json).toEqual(first.json);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
  });

  it('gRPC: idempotency-key metadata, the same answer and metadata back; another request with the key is INVALID_ARGUMENT', async () => {
    const grpc = new OipGrpcClient(suite.grpcTarget, acme);
    try {
      const input = { name: 'input', datatype: 'FP32' as const, shape: [1, 4], data: Buffer.from(new Float32Array(ROW.data).buffer) };
      const first = await grpc.infer({ model: 'tiny-mlp', inputs: [input], metadata: { 'idempotency-key': 'grpc-order', 'x-request-id': 'idem-grpc-1' } });
      const retry = await grpc.infer({ model: 'tiny-mlp', inputs: [input], metadata: { 'idempotency-key': 'grpc-order', 'x-request-id': 'idem-grpc-2' } });
      expect(retry.outputs).toEqual(first.outputs);
      expect(retry.metadata['idempotent-replayed']).toBe('true');
      expect(retry.metadata['x-request-id']).toBe('idem-grpc-1');
      const other = { ...input, data: Buffer.from(new Float32Array([1, 2, 3, 4]).buffer) };
      const mismatch = grpc.infer({ model: 'tiny-mlp', inputs: [other], metadata: { 'idempotency-key': 'grpc-order' } });
      await expect(mismatch).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
      await infer(acme, undefined, 'idem-grpc-control');
      expect(await runsOf('idem-grpc-1', 'idem-grpc-control')).toBe(1);
      expect(await auditRows('idem-grpc-2')).toBe(0);
    } finally {
      grpc.close();
    }
  });
  describe('job submission and admin POSTs, through the gateway', () => {
    const upload = (token: string, key: string | undefined, bytes: Buffer) =>
      suite.call('POST', '/admin/models/tiny-mlp/versions', token, bytes, { 'content-type': 'application/octet-stream', ...(key ? { 'idempotency-key': key } : {}) });
    const versionCount = async (token: string) => ((await suite.call('GET', '/admin/models/tiny-mlp/versions', token)).json.versions as unknown[]).length;

    it('a JSON POST: the retry gets the first answer; another body with the key is a 422', async () => {
      const first = await suite.call('POST', '/admin/models', acme, { name: 'idem-model' }, { 'idempotency-key': 'create-model' });
      expect(first.status).toBe(201);
      const retry = await suite.call('POST', '/admin/models', acme, { name: 'idem-model' }, { 'idempotency-key': 'create-model' });
      // Without the key the second create is a 409 (the model exists): the retry is the first answer.
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.json).toEqual(first.json);
      const other = await suite.call('POST', '/admin/models', acme, { name: 'idem-model-2' }, { 'idempotency-key': 'create-model' });
      expect(other.status).toBe(422);
      expect(other.json.error).toMatch(/first used with another request/);
      expect((await suite.call('GET', '/admin/models/idem-model-2', acme)).status).toBe(404);
    });

    it('a streamed model upload: the retry is replayed (no second version); other bytes with the key are a 422', async () => {
      const bytes = readFileSync(MODEL);
      const before = await versionCount(acme);
      const first = await upload(acme, 'upload-1', bytes);
      expect(first.status).toBe(201);
      const retry = await upload(acme, 'upload-1', bytes);
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.json).toEqual(first.json);
      expect(await versionCount(acme)).toBe(before + 1);
      const tampered = Buffer.from(bytes);
      tampered[tampered.length - 1] ^= 0xff;
      expect((await upload(acme, 'upload-1', tampered)).status).toBe(422);
      expect(await versionCount(acme)).toBe(before + 1);
      // The key is the tenant's own: globex's same key uploads its own version.
      expect((await upload(globex, 'upload-1', bytes)).headers.get('idempotent-replayed')).toBeNull();
    });

    it('job submission: the retry names the same job, and one job ran', async () => {
      const rows = Buffer.from([ROW.data, [1, 2, 3, 4]].map((data) => JSON.stringify({ inputs: [{ ...ROW, data }] })).join('\n') + '\n');
      const submit = () => suite.call('POST', '/v2/batch/jobs?model=tiny-mlp', acme, rows, { 'content-type': 'application/x-ndjson', 'idempotency-key': 'job-1' });
      const first = await submit();
      expect(first.status).toBe(201);
      const retry = await submit();
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.json.id).toBe(first.json.id);
      expect(retry.headers.get('location')).toBe(`/v2/batch/jobs/${first.json.id}`);
      const jobs = await suite.query<{ n: number }>('SELECT count(*)::int AS n FROM batch_jobs WHERE tenant_id = $1', ['acme']);
      expect(jobs[0].n).toBe(1);
    });

    it('a POST whose answer holds a secret refuses the key (it would sit in Redis), and runs without it', async () => {
      const admin = await suite.platformAdminToken();
      const refused = await suite.call('POST', '/admin/tenants/acme/api-keys', admin, { name: 'k1', scopes: ['infer'] }, { 'idempotency-key': 'key-1' });
      expect(refused.status).toBe(400);
      expect(refused.json.error).toMatch(/holds a secret shown once/);
      expect((await suite.call('POST', '/admin/tenants/acme/api-keys', admin, { name: 'k1', scopes: ['infer'] })).status).toBe(201);
    });
  });
});
