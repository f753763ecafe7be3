import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inferenceStreamTopics } from '@falaj/contracts';
import { FalajSuite, eventually, testKafka } from '@falaj/testing';

/**
 * Hybrid GPU/CPU placement against the five built apps: the GPU worker runs its pool on the CPU
 * (FALAJ_GPU_ALLOW_CPU_FALLBACK), so region `ae` has a `cpu.ae` and a `gpu.ae` pool, both real.
 * An `auto` deployment is placed per request between them; every answer and audit row says
 * where and why; a fixed deployment says it is fixed; residency still bounds everything.
 */
const MODEL = join(__dirname, '..', 'models', 'tiny-mlp.onnx');
const SCOPES = ['infer', 'models:write', 'deployments:write', 'audit:read'];
const BODY = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] };
const HYBRID = /^(only-ready|unmeasured|only-measured|cheapest|spill): /;

describe('Hybrid GPU/CPU placement (e2e)', () => {
  const suite = new FalajSuite();
  const tokens: Record<string, string> = {};
  const infer = (tenant: string, headers: Record<string, string> = {}) => suite.call('POST', '/v2/models/scorer/infer', tokens[tenant], BODY, headers);
  const deploy = (tenant: string, hardware: string) =>
    suite.call('PUT', '/admin/models/scorer/deployment', tokens[tenant], { targets: [{ version: 1, weight: 100 }], hardware, slaP95Ms: 250, reason: hardware });
  const auditOf = (tenant: string, requestId: string) =>
    eventually(
      `audit row ${requestId}`,
      async () => {
        const { records } = (await suite.call('GET', `/admin/audit?requestId=${encodeURIComponent(requestId)}`, tokens[tenant])).json;
        return records?.length === 1 ? records[0] : undefined;
      },
      20_000,
    );

  beforeAll(async () => {
    await suite.start({ gpuWorker: true, env: { 'gpu-worker': { FALAJ_GPU_ALLOW_CPU_FALLBACK: 'true' } } });
    const admin = await suite.platformAdminToken();
    // `usco` lives in region `us`, where no worker runs.
    for (const [id, residency] of [
      ['acme', 'ae'],
      ['usco', 'us'],
    ]) {
      expect((await suite.call('POST', '/admin/tenants', admin, { id, name: id, residency })).status).toBe(201);
      tokens[id] = await suite.token({ tenantId: id, subject: `${id}-app`, scopes: SCOPES });
      expect((await suite.call('POST', '/admin/models', tokens[id], { name: 'scorer' })).status).toBe(201);
      const upload = await suite.call('POST', '/admin/models/scorer/versions', tokens[id], readFileSync(MODEL), { 'content-type': 'application/octet-stream' });
      expect(upload.status).toBe(201);
      expect((await deploy(id, 'auto')).status).toBe(200);
    }
  }, 120_000);

  afterAll(async () => {
    await suite.stop();
  }, 60_000);

  it('places an auto deployment on either pool of the region, measures both, and says why on every answer', async () => {
    const answers: { pool: string; placement: string }[] = [];
    // Each pool gets requests until its heartbeat carries a timing; then the policy compares them.
    await eventually(
      'both pools measured and compared',
      async () => {
        const answer = await infer('acme');
        if (answer.status !== 200) return undefined;
        answers.push({ pool: answer.headers.get('x-falaj-pool')!, placement: answer.headers.get('x-falaj-placement')! });
        const pools = new Set(answers.map((a) => a.pool));
        return pools.size === 2 && /^(cheapest|spill): /.test(answers.at(-1)!.placement) ? true : undefined;
      },
      40_000,
      50,
    );
    process.stdout.write(`auto placement over ${answers.length} requests; last: ${answers.at(-1)!.placement}\n`);
    for (const { pool, placement } of answers) {
      expect(['cpu.ae', 'gpu.ae']).toContain(pool);
      expect(placement).toMatch(HYBRID);
      expect(placement).toContain(pool);
    }
    // Once compared, the sentence carries both pools' numbers.
    expect(answers.at(-1)!.placement).toMatch(/[cg]pu\.ae ~[\d.]+ ms \(p95 [\d.]+ ms x queue [\d.]+\).*; [cg]pu\.ae ~[\d.]+ ms/);
  }, 60_000);

  it('records the same pool and placement in the audit row, on REST, KServe v1 and Kafka', async () => {
    const rest = await infer('acme');
    expect(rest.status).toBe(200);
    const v1 = await suite.call('POST', '/v1/models/scorer:predict', tokens.acme, { instances: [[1, 2, 3, 4]] });
    expect(v1.status).toBe(200);
    for (const answer of [rest, v1]) {
      expect(answer.headers.get('x-falaj-placement')).toMatch(HYBRID);
      const row = await auditOf('acme', answer.headers.get('x-request-id')!);
      expect(row).toMatchObject({ pool: answer.headers.get('x-falaj-pool'), placement: answer.headers.get('x-falaj-placement'), status: 200 });
    }

    const kafka = testKafka('e2e-placement');
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: inferenceStreamTopics(suite.prefix).requests,
        messages: [{ key: 'placed-over-kafka', value: JSON.stringify({ model_name: 'scorer', ...BODY }), headers: { authorization: `Bearer ${tokens.acme}` } }],
      });
    } finally {
      await producer.disconnect();
    }
    const streamed = await auditOf('acme', 'placed-over-kafka');
    expect(streamed).toMatchObject({ protocol: 'kafka', status: 200 });
    expect(['cpu.ae', 'gpu.ae']).toContain(streamed.pool);
    expect(streamed.placement).toMatch(HYBRID);
    expect(streamed.placement).toContain(streamed.pool);
  }, 60_000);

  it('says fixed for a deployment that names its hardware', async () => {
    expect((await deploy('acme', 'cpu')).status).toBe(200);
    const fixed = await eventually(
      'fixed on cpu',
      async () => {
        const answer = await infer('acme');
        return answer.headers.get('x-falaj-placement')?.startsWith('fixed') ? answer : undefined;
      },
      20_000,
    );
    expect(fixed.headers.get('x-falaj-placement')).toBe('fixed: deployment hardware cpu');
    expect(fixed.headers.get('x-falaj-pool')).toBe('cpu.ae');
    expect(await auditOf('acme', fixed.headers.get('x-request-id')!)).toMatchObject({ pool: 'cpu.ae', placement: 'fixed: deployment hardware cpu' });
  }, 30_000);

  it('never places outside the residency region: a region without workers is a 503 naming the rule', async () => {
    const refused = await infer('usco', { 'x-request-id': 'usco-refused' });
    expect(refused.status).toBe(503);
    expect(refused.json.error).toBe("model 'scorer' version 1 is not ready on any worker of pool gpu.us or cpu.us (residency: the tenant's data stays in region 'us')");
    expect(refused.headers.get('x-falaj-pool')).toBeNull();
    const row = await auditOf('usco', 'usco-refused');
    expect(row).toMatchObject({ status: 503, pool: null, placement: null, residencyRegion: 'us' });
  }, 30_000);
});
