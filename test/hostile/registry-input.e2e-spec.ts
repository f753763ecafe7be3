import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FalajSuite, eventually } from '@falaj/testing';
import { addModel, constantOfShapeBomb, foldingBomb, identityOfShape, malformedExternalDataModel, offsetModel } from '../support/onnx-fixtures';

/**
 * Hostile input against the registry (issue 11, items 2, 5 and 9), on the real stack: the five
 * apps over real Postgres, Redis and Kafka, every attack through the gateway as a tenant sends
 * it. After each, the registry is still up and ready, and its memory did not follow the input.
 */
const MODEL = join(__dirname, '..', '..', 'models', 'tiny-mlp.onnx');
const MiB = 1024 ** 2;
const STORAGE_QUOTA = 200_000;

/** Resident and peak resident memory of a process, from /proc. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}
const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;

describe('hostile input to the registry (e2e)', () => {
  const suite = new FalajSuite();
  let token: string;
  let registryPid: number;

  const upload = (model: string, bytes: Buffer, as = token) => suite.call('POST', `/admin/models/${model}/versions`, as, bytes, { 'content-type': 'application/octet-stream' });
  const registryReady = async () => (await fetch(`${suite.registryUrl}/health/ready`)).status;
  /** The registry's resident memory must stay within `headroom` of what it was before the attack. */
  const expectBounded = (before: { rss: number }, what: string, headroom = 256 * MiB) => {
    const after = memoryOf(registryPid);
    console.log(`${what}: registry RSS ${mib(before.rss)} before, ${mib(after.rss)} after, peak ${mib(after.peak)}`);
    expect(after.peak).toBeLessThan(before.rss + headroom);
  };

  beforeAll(async () => {
    await suite.start({
      env: {
        registry: {
          FALAJ_TENANT_STORAGE_BYTES: String(STORAGE_QUOTA),
          FALAJ_ARTIFACT_GC_INTERVAL_MS: '1000',
          FALAJ_ARTIFACT_GC_MIN_AGE_MS: '0',
          FALAJ_BATCH_TENANT_MAX_JOBS: '3',
          FALAJ_BATCH_TENANT_MAX_BYTES: String(2 * MiB),
          // The validating child is killed early (its 2 GiB default is the production bound).
          FALAJ_MODEL_VALIDATION_MAX_RSS_BYTES: String(1024 * MiB),
        },
      },
    });
    registryPid = suite.app('registry').pid!;
    const admin = await suite.platformAdminToken();
    for (const id of ['acme', 'globex', 'initech']) await suite.call('POST', '/admin/tenants', admin, { id, name: id, residency: 'ae' });
    token = await suite.token({ tenantId: 'acme', scopes: ['infer', 'models:write', 'models:read'] });
    await suite.call('POST', '/admin/models', token, { name: 'tiny-mlp' });
    expect((await upload('tiny-mlp', readFileSync(MODEL))).status).toBe(201);
    await suite.call('POST', '/admin/models/tiny-mlp/versions/1/stage', token, { stage: 'production' });
    await eventually('model ready', async () => ((await suite.call('GET', '/v2/models/tiny-mlp/ready', token)).status === 200 ? true : undefined));
  }, 180_000);

  afterAll(async () => {
    await suite.stop();
  }, 60_000);

  describe('batch input', () => {
    it('answers a 600 MB body without a newline with a 413 naming the row limit, and stays up with its memory bounded', async () => {
      const before = memoryOf(registryPid);
      const chunk = Buffer.alloc(MiB, 'x'); // one chunk, sent 600 times: the body is never allocated
      let sent = 0;
      let answered = false;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (answered || sent >= 600 * MiB) return controller.close();
          sent += chunk.length;
          controller.enqueue(chunk);
        },
      });
      const started = Date.now();
      const response = await fetch(`${suite.gatewayUrl}/v2/batch/jobs?model=tiny-mlp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
        body,
        duplex: 'half',
      });
      answered = true;
      const answer = (await response.json()) as { error: string };
      console.log(`600 MB body: ${response.status} after ${Date.now() - started} ms, ${mib(sent)} sent by then`);
      expect(response.status).toBe(413);
      expect(answer.error).toBe('line 1 of the input is longer than the row limit of 1048576 bytes (FALAJ_BATCH_MAX_ROW_BYTES)');
      expectBounded(before, '600 MB batch body');
      expect(await registryReady()).toBe(200);
      // Nothing of the refused job was kept, and the next job runs.
      expect(await suite.query(`SELECT id FROM batch_jobs`)).toEqual([]);
      const next = await suite.call('POST', '/v2/batch/jobs?model=tiny-mlp', token, Buffer.from('[1,2,3,4]\n[5,6,7,8]\n'), { 'content-type': 'application/x-ndjson' });
      expect(next.status).toBe(201);
      expect(next.json).toMatchObject({ total: 2, state: 'queued' });
    }, 180_000);
  });

  describe('model bombs', () => {
    it('refuses the ConstantOfShape bomb (a 4 GiB constant in a few hundred bytes) with the reason, its memory never in the registry', async () => {
      await suite.call('POST', '/admin/models', token, { name: 'bomb' });
      const bomb = constantOfShapeBomb([32768, 32768]);
      expect(bomb.length).toBeLessThan(200);
      const before = memoryOf(registryPid);
      const refused = await upload('bomb', bomb);
      expect(refused.status).toBe(400);
      expect(refused.json.error).toBe(
        "model refused by the platform's limits: output 'y' of shape [32768,32768] has 1073741824 elements, over the limit of 268435456 per tensor (FALAJ_MODEL_MAX_TENSOR_ELEMENTS)",
      );
      expectBounded(before, `${bomb.length}-byte ConstantOfShape bomb`, 64 * MiB);
      expect(await registryReady()).toBe(200);
      expect((await suite.call('GET', '/admin/models/bomb/versions', token)).json.versions).toEqual([]);
    }, 60_000);

    it('refuses a bomb in the middle of the graph (a 1 GiB constant summed to a scalar) when loaded as the workers load it', async () => {
      await suite.call('POST', '/admin/models', token, { name: 'folding-bomb' });
      const before = memoryOf(registryPid);
      const refused = await upload('folding-bomb', foldingBomb([16384, 16384]));
      expect(refused.status).toBe(400);
      expect(refused.json.error).toMatch(/with graph optimisation on, as the workers load it: loading the model needed more than 1073741824 bytes of memory \(FALAJ_MODEL_VALIDATION_MAX_RSS_BYTES\)/);
      expectBounded(before, 'folding bomb', 64 * MiB);
      expect(await registryReady()).toBe(200);
    }, 60_000);

    it('refuses a model declaring a [65536, 65536, 65536] input', async () => {
      await suite.call('POST', '/admin/models', token, { name: 'huge-input' });
      const before = memoryOf(registryPid);
      const refused = await upload('huge-input', identityOfShape([65536, 65536, 65536]));
      expect(refused.status).toBe(400);
      expect(refused.json.error).toMatch(/^model refused by the platform's limits: input 'x' of shape \[65536,65536,65536\] has 281474976710656 elements, over the limit of 268435456/);
      expectBounded(before, '[65536,65536,65536] input', 64 * MiB);
    }, 60_000);

    it('refuses a model whose external_data entry the scan cannot read, naming it', async () => {
      await suite.call('POST', '/admin/models', token, { name: 'bad-entry' });
      const refused = await upload('bad-entry', malformedExternalDataModel());
      expect(refused.status).toBe(400);
      expect(refused.json.error).toBe("not a valid ONNX model: Protobuf parsing failed (tensor 'w': unreadable external_data entry (unknown field 3 of wire type 0))");
    });
  });

  describe('deployments on shared workers', () => {
    it.each([
      [{ instanceCount: 64 }, 'instanceCount 64 is over the platform maximum of 4 (FALAJ_MAX_INSTANCE_COUNT)'],
      [{ intraOpThreads: 256 }, 'intraOpThreads 256 is over the platform maximum of 8 (FALAJ_MAX_INTRA_OP_THREADS)'],
    ])('refuses %j with a 400 naming the maximum', async (serving, reason) => {
      const deployer = await suite.token({ tenantId: 'acme', scopes: ['models:read', 'deployments:write'] });
      const put = await suite.call('PUT', '/admin/models/tiny-mlp/deployment', deployer, { targets: [{ version: 1, weight: 100 }], ...serving });
      expect(put.status).toBe(400);
      expect(put.json.error).toBe(`invalid deployment: ${reason}`);
    });
  });

  describe('storage', () => {
    it("refuses an upload past the tenant's storage quota with a 413 and keeps nothing of it", async () => {
      const globex = await suite.token({ tenantId: 'globex', scopes: ['models:write', 'models:read'] });
      await suite.call('POST', '/admin/models', globex, { name: 'big' });
      expect((await upload('big', addModel(30_000), globex)).status).toBe(201); // ~120 kB of the 200 kB
      const over = await upload('big', addModel(30_001), globex);
      expect(over.status).toBe(413);
      expect(over.json.error).toMatch(/^the tenant's storage quota of 200000 bytes \(FALAJ_TENANT_STORAGE_BYTES\) is used up or would be exceeded/);
      expect((await suite.call('GET', '/admin/models/big/versions', globex)).json.versions).toHaveLength(1);
      // Another tenant's quota is its own.
      const initech = await suite.token({ tenantId: 'initech', scopes: ['models:write', 'models:read'] });
      await suite.call('POST', '/admin/models', initech, { name: 'big' });
      expect((await upload('big', addModel(30_001), initech)).status).toBe(201);
      // Deleting the model frees the quota.
      expect((await suite.call('DELETE', '/admin/models/big', globex)).status).toBe(204);
      await suite.call('POST', '/admin/models', globex, { name: 'big' });
      expect((await upload('big', addModel(30_002), globex)).status).toBe(201);
    }, 60_000);

    it('collects an artifact once no version of any tenant holds it, and not before', async () => {
      const shared = offsetModel(7);
      const acme = token;
      const globex = await suite.token({ tenantId: 'globex', scopes: ['models:write', 'models:read'] });
      await suite.call('POST', '/admin/models', acme, { name: 'shared' });
      await suite.call('POST', '/admin/models', globex, { name: 'shared' });
      const a = await upload('shared', shared, acme);
      const b = await upload('shared', shared, globex);
      expect(a.json.sha256).toBe(b.json.sha256);
      const file = join(suite.workDir, 'artifacts', 'sha256', a.json.sha256.slice(0, 2), `${a.json.sha256}.onnx`);
      expect(existsSync(file)).toBe(true);
      expect((await suite.call('DELETE', '/admin/models/shared', acme)).status).toBe(204);
      // Several collection passes (one a second) go by: globex's version still holds it.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(existsSync(file)).toBe(true);
      expect((await suite.call('GET', '/admin/models/shared/versions/1/artifact', globex)).status).toBe(200);
      expect((await suite.call('DELETE', '/admin/models/shared', globex)).status).toBe(204);
      await eventually('artifact collected', async () => (existsSync(file) ? undefined : true), 15_000, 200);
      // The served model's artifact stays.
      expect((await suite.call('GET', '/admin/models/tiny-mlp/versions/1/artifact', acme)).status).toBe(200);
    }, 60_000);
  });

  describe('per-tenant batch limits', () => {
    /** A valid row of about 1 kB: 1.000…0 with many zeros is still 1. */
    const wideRow = `[1.${'0'.repeat(1000)},2,3,4]\n`;
    const submit = (body: string) => suite.call('POST', '/v2/batch/jobs?model=tiny-mlp', token, Buffer.from(body), { 'content-type': 'application/x-ndjson' });

    it('holds a tenant to its bytes and jobs in flight: 429 with Retry-After while other jobs hold the room, 413 without for a job over the whole budget (the workers gone, so jobs stay queued)', async () => {
      await eventually('earlier jobs finished', async () => ((await suite.query(`SELECT 1 FROM batch_jobs WHERE state IN ('queued', 'running')`)).length === 0 ? true : undefined), 60_000);
      // Nothing in flight, and still over the tenant's 2 MiB: no wait will make it fit.
      const whole = await submit(wideRow.repeat(2200));
      expect({ status: whole.status, retryAfter: whole.headers.get('retry-after'), error: whole.json.error }).toEqual({
        status: 413,
        retryAfter: null,
        error: `the job's input is over the ${2 * MiB} bytes all of a tenant's jobs in flight may hold (FALAJ_BATCH_TENANT_MAX_BYTES)`,
      });
      await suite.app('cpu-worker').kill();
      const big = await submit(wideRow.repeat(1500)); // ~1.5 MB of the tenant's 2 MiB
      expect(big.status).toBe(201);
      const over = await submit(wideRow.repeat(1000));
      expect({ status: over.status, retryAfter: over.headers.get('retry-after'), error: over.json.error }).toEqual({
        status: 429,
        retryAfter: '30',
        error: `the tenant's jobs in flight would hold more than ${2 * MiB} bytes of input (FALAJ_BATCH_TENANT_MAX_BYTES); retry when some have finished`,
      });
      expect((await submit('[1,2,3,4]\n')).status).toBe(201);
      expect((await submit('[1,2,3,4]\n')).status).toBe(201);
      const fourth = await submit('[1,2,3,4]\n');
      expect({ status: fourth.status, retryAfter: fourth.headers.get('retry-after'), error: fourth.json.error }).toEqual({
        status: 429,
        retryAfter: '30',
        error: 'the tenant already has 3 jobs queued or running (FALAJ_BATCH_TENANT_MAX_JOBS); retry when one has finished',
      });
      // Every refusal counted at the registry under its limit.
      const metrics = await (await fetch(`${suite.registryUrl}/metrics`, { headers: { authorization: `Bearer ${await suite.platformAdminToken()}` } })).text();
      expect(metrics).toMatch(/falaj_limit_refusals_total\{limit="batch_tenant_bytes"\} [2-9]/);
      expect(metrics).toMatch(/falaj_limit_refusals_total\{limit="batch_tenant_jobs"\} [1-9]/);
      expect(await registryReady()).toBe(200);
    }, 120_000);
  });
});
