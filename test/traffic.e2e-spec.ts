import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { FalajSuite, OipGrpcClient, eventually } from '@falaj/testing';
import { addModel } from './support/onnx-fixtures';

/**
 * Traffic management against the five built apps and two real CPU workers in two regions (ae,
 * eu): a sticky 90/10 split, pinning, blue-green under concurrent load, quotas, residency.
 */
const MODEL = join(__dirname, '..', 'models', 'tiny-mlp.onnx');
const SCOPES = ['infer', 'models:read', 'models:write', 'deployments:write'];
const BODY = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] };
const octet = { 'content-type': 'application/octet-stream' };

/** Runs `total` calls, `concurrency` at a time. */
async function hammer<T>(total: number, concurrency: number, call: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(total);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        results[i] = await call(i);
      }
    }),
  );
  return results;
}

describe('Traffic management (e2e)', () => {
  const suite = new FalajSuite();
  const bytes = readFileSync(MODEL);
  const tokens: Record<string, string> = {};
  /** Every answered request: tenant residency and the pool that served it. */
  const served: { residency: string; pool: string }[] = [];

  const infer = async (tenant: string, headers: Record<string, string> = {}, model = 'scorer') => {
    const response = await suite.call('POST', `/v2/models/${model}/infer`, tokens[tenant], BODY, headers);
    const pool = response.headers.get('x-falaj-pool');
    if (response.status === 200 && pool) served.push({ residency: RESIDENCY[tenant], pool });
    return response;
  };
  const RESIDENCY: Record<string, string> = { acme: 'ae', euco: 'eu', limited: 'ae', usco: 'us' };

  beforeAll(async () => {
    await suite.start({
      cpuWorkers: 2,
      cpuWorkerEnv: [{ FALAJ_REGION: 'ae' }, { FALAJ_REGION: 'eu' }],
      env: { gateway: { FALAJ_QUOTAS: JSON.stringify({ tenants: { limited: { rps: 2, burst: 10 } } }) } },
    });
    const admin = await suite.platformAdminToken();
    for (const [id, residency] of Object.entries(RESIDENCY)) {
      expect((await suite.call('POST', '/admin/tenants', admin, { id, name: id, residency })).status).toBe(201);
      tokens[id] = await suite.token({ tenantId: id, subject: `${id}-app`, scopes: SCOPES });
      expect((await suite.call('POST', '/admin/models', tokens[id], { name: 'scorer' })).status).toBe(201);
      expect((await suite.call('POST', '/admin/models/scorer/versions', tokens[id], bytes, octet)).status).toBe(201);
      expect((await suite.call('POST', '/admin/models/scorer/versions/1/stage', tokens[id], { stage: 'production' })).status).toBe(200);
    }
    tokens.tester = await suite.token({ tenantId: 'acme', subject: 'tester', scopes: ['infer', 'versions:pin'] });
    RESIDENCY.tester = 'ae';
    for (const v of [2, 3]) expect((await suite.call('POST', '/admin/models/scorer/versions', tokens.acme, bytes, octet)).json.version).toBe(v);
  }, 180_000);

  afterAll(async () => {
    await suite.stop();
  }, 60_000);

  describe('weighted sticky split', () => {
    beforeAll(async () => {
      const put = await suite.call('PUT', '/admin/models/scorer/deployment', tokens.acme, {
        targets: [
          { version: 1, weight: 90 },
          { version: 2, weight: 10 },
        ],
        reason: 'canary 10%',
      });
      expect(put.status).toBe(200);
      // Both versions answering through the gateway: the route is in and both are loaded.
      await eventually(
        'both versions serving',
        async () => {
          const answers = await Promise.all(['1', '2'].map((v) => infer('tester', { 'x-falaj-pin-version': v })));
          return answers.every((a) => a.status === 200) ? true : undefined;
        },
        60_000,
      );
    }, 90_000);

    it('splits 5,000 requests with distinct routing keys 90/10 within ±2 points, and says which version and pool served', async () => {
      const answers = await hammer(5000, 16, (i) => infer('acme', { 'x-routing-key': `user-${i}` }));
      expect(answers.filter((a) => a.status !== 200)).toEqual([]);
      const v1 = answers.filter((a) => a.headers.get('x-falaj-model-version') === '1').length;
      const v2 = answers.filter((a) => a.headers.get('x-falaj-model-version') === '2').length;
      expect(v1 + v2).toBe(5000);
      process.stdout.write(`90/10 split over 5000 requests: v1 ${(v1 / 50).toFixed(2)} %, v2 ${(v2 / 50).toFixed(2)} %\n`);
      expect(Math.abs(v1 / 50 - 90)).toBeLessThanOrEqual(2);
      expect(answers.every((a) => a.json.model_version === a.headers.get('x-falaj-model-version') && a.headers.get('x-falaj-pool') === 'cpu.ae')).toBe(true);
    }, 300_000);

    it('keeps a routing key on its version, on REST and gRPC alike; without a key the subject is the key', async () => {
      const grpc = new OipGrpcClient(suite.grpcTarget, tokens.acme);
      try {
        for (let i = 0; i < 40; i++) {
          const key = `sticky-${i}`;
          const versions = new Set<string>();
          for (let n = 0; n < 3; n++) versions.add((await infer('acme', { 'x-routing-key': key })).headers.get('x-falaj-model-version')!);
          const { response, metadata } = await grpc.infer({
            model: 'scorer',
            inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: Buffer.from(new Float32Array([1, 2, 3, 4]).buffer) }],
            metadata: { 'x-routing-key': key },
          });
          versions.add(response.model_version);
          // gRPC says what served it as REST does, in the response metadata.
          expect(metadata).toMatchObject({ 'x-falaj-model-version': response.model_version, 'x-falaj-pool': 'cpu.ae', 'x-falaj-placement': 'fixed: deployment hardware cpu' });
          expect(versions.size).toBe(1);
        }
      } finally {
        grpc.close();
      }
      const bySubject = new Set<string>();
      for (let n = 0; n < 5; n++) bySubject.add((await infer('acme')).headers.get('x-falaj-model-version')!);
      expect(bySubject.size).toBe(1);
    }, 120_000);

    it('pins a version by header only for callers with versions:pin', async () => {
      const pinned = await infer('tester', { 'x-falaj-pin-version': '2', 'x-routing-key': 'user-0' });
      expect(pinned.status).toBe(200);
      expect(pinned.headers.get('x-falaj-model-version')).toBe('2');
      const refused = await infer('acme', { 'x-falaj-pin-version': '2' });
      expect(refused.status).toBe(403);
      expect(refused.json.error).toContain('versions:pin');
      expect((await infer('tester', { 'x-falaj-pin-version': 'two' })).status).toBe(400);
      expect((await infer('tester', { 'x-falaj-pin-version': '9' })).status).toBe(404);
    });
  });

  describe('blue-green', () => {
    it('switches all traffic to a version still loading and back, with zero failed requests under concurrent load', async () => {
      const put = await suite.call('PUT', '/admin/models/scorer/deployment', tokens.acme, { targets: [{ version: 1, weight: 100 }], reason: 'blue' });
      expect(put.status).toBe(200);
      await eventually('blue only', async () => ((await infer('acme', { 'x-routing-key': 'user-3' })).headers.get('x-falaj-model-version') === '1' ? true : undefined));
      let running = true;
      const answers: { status: number; version: string | null }[] = [];
      const load = Promise.all(
        Array.from({ length: 8 }, async (_, worker) => {
          for (let i = 0; running; i++) {
            const a = await infer('acme', { 'x-routing-key': `bg-${worker}-${i}` });
            answers.push({ status: a.status, version: a.headers.get('x-falaj-model-version') });
          }
        }),
      );
      try {
        await new Promise((resolve) => setTimeout(resolve, 500));
        // Version 3 was never deployed: workers start loading it only now.
        const green = await suite.call('POST', '/admin/models/scorer/deployment/switch', tokens.acme, { version: 3, reason: 'go green' });
        expect(green.status).toBe(200);
        expect(green.json.targets).toEqual([
          { version: 3, weight: 100 },
          { version: 1, weight: 0 },
        ]);
        await eventually('all green', async () => (answers.slice(-16).every((a) => a.version === '3') && answers.length > 16 ? true : undefined), 60_000);
        const back = await suite.call('POST', '/admin/models/scorer/deployment/switch-back', tokens.acme);
        expect(back.status).toBe(200);
        expect(back.json.targets).toEqual([
          { version: 1, weight: 100 },
          { version: 3, weight: 0 },
        ]);
        const mark = answers.length;
        await eventually('all blue again', async () => (answers.slice(-16).every((a) => a.version === '1') && answers.length > mark + 16 ? true : undefined), 60_000);
      } finally {
        running = false;
        await load;
      }
      process.stdout.write(`blue-green: ${answers.length} requests during switch and switch back, ${answers.filter((a) => a.status !== 200).length} failed\n`);
      expect(answers.filter((a) => a.status !== 200)).toEqual([]);
      expect(new Set(answers.map((a) => a.version))).toEqual(new Set(['1', '3']));
      const revisions = (await suite.call('GET', '/admin/models/scorer/deployment/revisions', tokens.acme)).json.revisions;
      expect(revisions.slice(-2).map((r: { reason: string }) => r.reason)).toEqual(['go green', 'switch back to version 1']);
    }, 180_000);

    it('answers 409 when there is no earlier revision to switch back to, and 400 for a bad body', async () => {
      expect((await suite.call('POST', '/admin/models/scorer/deployment/switch', tokens.acme, { version: 'nope!' })).status).toBe(400);
      expect((await suite.call('PUT', '/admin/models/scorer/deployment', tokens.euco, { targets: [{ version: 1, weight: 100 }] })).status).toBe(200);
      const back = await suite.call('POST', '/admin/models/scorer/deployment/switch-back', tokens.euco, {});
      expect(back.status).toBe(409);
      expect(back.json.error).toContain('no earlier deployment revision');
    });
  });

  describe('quotas', () => {
    it('answers 429 with Retry-After beyond the tenant bucket, on REST and gRPC', async () => {
      await eventually('limited tenant serving', async () => ((await infer('limited')).status === 200 ? true : undefined), 60_000);
      const answers = await hammer(30, 10, () => infer('limited'));
      const ok = answers.filter((a) => a.status === 200).length;
      const limited = answers.filter((a) => a.status === 429);
      expect(ok).toBeGreaterThan(0);
      expect(ok).toBeLessThanOrEqual(12);
      expect(limited.length).toBe(30 - ok);
      expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(limited[0].json.error).toContain("rate limit exceeded for tenant 'limited'");
      const grpc = new OipGrpcClient(suite.grpcTarget, tokens.limited);
      try {
        const input = [{ name: 'input', datatype: 'FP32' as const, shape: [1, 4], data: Buffer.from(new Float32Array(4).buffer) }];
        const codes = await Promise.all(
          Array.from({ length: 15 }, () =>
            grpc.infer({ model: 'scorer', inputs: input }).then(
              () => 0,
              (e: ServiceError) => e.code,
            ),
          ),
        );
        expect(codes).toContain(GrpcStatus.RESOURCE_EXHAUSTED);
      } finally {
        grpc.close();
      }
      // Other tenants are not touched by the limited one's bucket.
      expect((await infer('acme')).status).toBe(200);
    }, 90_000);

    it('sheds with 503 and Retry-After, never hanging, when the queue would miss the SLA', async () => {
      const tight = await suite.call('PUT', '/admin/models/scorer/deployment', tokens.acme, { targets: [{ version: 1, weight: 100 }], slaP95Ms: 1, reason: 'impossible SLA' });
      expect(tight.status).toBe(200);
      try {
        const answers = await eventually(
          'shedding',
          async () => {
            const burst = await hammer(200, 16, () => infer('acme'));
            return burst.some((a) => a.status === 503) ? burst : undefined;
          },
          60_000,
        );
        const shed = answers.filter((a) => a.status === 503);
        expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
        expect(answers.some((a) => a.status === 200)).toBe(true);
        expect(Number(shed[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(shed[0].json.error).toMatch(/pool cpu.ae is shedding load: recent latency \d+ ms is over the SLA of 1 ms/);
        process.stdout.write(`shedding at a 1 ms SLA: ${shed.length} of ${answers.length} shed\n`);
      } finally {
        expect((await suite.call('PUT', '/admin/models/scorer/deployment', tokens.acme, { targets: [{ version: 1, weight: 100 }], reason: 'no SLA' })).status).toBe(200);
      }
      await eventually('no SLA, no shedding', async () => ((await hammer(40, 8, () => infer('acme'))).every((a) => a.status === 200) ? true : undefined), 30_000);
    }, 120_000);
  });

  describe('shadow', () => {
    const report = async () => (await suite.call('GET', '/admin/models/scorer/deployment/shadow-report', tokens.acme)).json;

    it('mirrors to the shadow off the caller path: answers byte-identical, the report fills with agreement and latency', async () => {
      const before = await hammer(20, 4, () => infer('acme', { 'x-routing-key': 'shadowed' }));
      const put = await suite.call('PUT', '/admin/models/scorer/deployment', tokens.acme, { targets: [{ version: 1, weight: 100 }], shadow: 2, shadowPercent: 100, reason: 'shadow v2' });
      expect(put.status).toBe(200);
      expect(put.json).toMatchObject({ shadow: 2, shadowPercent: 100 });
      await eventually(
        'shadow pairs recorded',
        async () => {
          await infer('acme', { 'x-routing-key': 'shadowed' });
          return (await report()).pairs >= 1 ? true : undefined;
        },
        60_000,
      );
      const during = await hammer(100, 4, () => infer('acme', { 'x-routing-key': 'shadowed' }));
      expect(during.every((a) => a.status === 200 && a.text === before[0].text)).toBe(true);
      expect(before.every((a) => a.text === before[0].text)).toBe(true);
      const filled = await eventually(
        'report filled',
        async () => {
          const r = await report();
          return r.pairs >= 100 ? r : undefined;
        },
        30_000,
      );
      process.stdout.write(`shadow report: ${JSON.stringify(filled)}\n`);
      // Version 2 is the same network as version 1: every pair agrees exactly.
      expect(filled).toMatchObject({ shadowVersion: 2, shadowErrors: 0, exactMatchRate: 1, agreementRate: 1, maxAbsDiff: 0 });
      expect(filled.latencyMs.primary.p50).toBeGreaterThan(0);
      expect(filled.latencyMs.shadow.p95).toBeGreaterThan(0);
    }, 120_000);

    it('never fails the caller when the shadow fails, and counts the failures', async () => {
      // A version whose input is not the live one's: every mirrored request fails on the worker.
      const other = await suite.call('POST', '/admin/models/scorer/versions', tokens.acme, addModel(4), octet);
      expect(other.status).toBe(201);
      const put = await suite.call('PUT', '/admin/models/scorer/deployment', tokens.acme, { targets: [{ version: 1, weight: 100 }], shadow: other.json.version, reason: 'broken shadow' });
      expect(put.status).toBe(200);
      await eventually(
        'shadow failures counted',
        async () => {
          const answers = await hammer(10, 2, () => infer('acme'));
          expect(answers.every((a) => a.status === 200)).toBe(true);
          return (await report()).shadowErrors >= 5 ? true : undefined;
        },
        60_000,
      );
      expect((await report()).pairs).toBe(0);
      expect((await suite.call('PUT', '/admin/models/scorer/deployment', tokens.acme, { targets: [{ version: 1, weight: 100 }] })).status).toBe(200);
      expect((await suite.call('GET', '/admin/models/scorer/deployment/shadow-report', tokens.acme)).status).toBe(404);
    }, 120_000);
  });

  describe('residency', () => {
    it('serves each tenant only in its region: eu on the eu worker, ae on the ae worker', async () => {
      const eu = await eventually(
        'eu serving',
        async () => {
          const a = await infer('euco');
          return a.status === 200 ? a : undefined;
        },
        60_000,
      );
      expect(eu.headers.get('x-falaj-pool')).toBe('cpu.eu');
      const answers = await hammer(40, 8, (i) => infer(i % 2 ? 'euco' : 'acme'));
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(answers.map((a, i) => a.headers.get('x-falaj-pool') === (i % 2 ? 'cpu.eu' : 'cpu.ae')).every(Boolean)).toBe(true);
    }, 90_000);

    it('answers 503 naming the residency rule when no pool of the region may serve, and never serves elsewhere', async () => {
      const us = await infer('usco');
      expect(us.status).toBe(503);
      expect(us.json.error).toContain("pool cpu.us (residency: the tenant's data stays in region 'us')");
      const put = await suite.call('PUT', '/admin/models/scorer/deployment', tokens.euco, { targets: [{ version: 1, weight: 100 }], regions: ['ae'] });
      expect(put.status).toBe(200);
      const refused = await eventually(
        'deployment bound to ae',
        async () => {
          const a = await infer('euco');
          return a.status === 503 ? a : undefined;
        },
        30_000,
      );
      expect(refused.json.error).toContain("residency: tenant 'euco' data stays in region 'eu'");
      expect(refused.headers.get('retry-after')).toBeNull();
    }, 60_000);

    it('never served a request outside its tenant residency region in this whole run', () => {
      expect(served.length).toBeGreaterThan(5000);
      expect(served.filter((s) => s.pool.split('.')[1] !== s.residency)).toEqual([]);
    });
  });
});
