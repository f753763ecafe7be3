import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import {
  decodeReply,
  encodeDispatchEntry,
  poolConsumerGroup,
  poolStreamKey,
  replyChannel,
  type DispatchReply,
  type DispatchRequest,
} from '@falaj/contracts';
import { subscribeWhenReady } from '@falaj/messaging';
import { eventually } from '@falaj/testing';
import { ArtifactCache } from './artifact-cache';
import { ModelHost } from './model-host';
import { PoolStreamServer } from './pool-stream.server';

/** Real Redis streams and a real onnxruntime session; no registry (the artifact is pre-cached). */
const REDIS_URL = process.env.FALAJ_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MODEL = join(__dirname, '../../../models/tiny-mlp.onnx');
const signature = {
  inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32' as const, shape: [-1, 3] }],
};

describe(PoolStreamServer.name, () => {
  const prefix = `falajtest-${randomBytes(4).toString('hex')}`;
  const pool = 'cpu.test';
  const stream = poolStreamKey(prefix, pool);
  const cacheDir = mkdtempSync(join(tmpdir(), 'falaj-cache-'));
  const redis = new Redis(REDIS_URL);
  const reader = new Redis(REDIS_URL);
  const subscriber = new Redis(REDIS_URL);
  const replies: DispatchReply[] = [];
  let host: ModelHost;
  let server: PoolStreamServer;

  const request = (overrides: Partial<DispatchRequest> = {}): DispatchRequest => ({
    requestId: randomBytes(6).toString('hex'),
    tenantId: 'acme',
    model: 'mlp',
    version: 1,
    replyTo: 'gw-test',
    deadline: Date.now() + 30_000,
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: Buffer.from(new Float32Array([1, 2, 3, 4]).buffer) }],
    outputs: [],
    ...overrides,
  });
  const send = (r: DispatchRequest) => redis.xadd(stream, '*', ...encodeDispatchEntry(r));
  const replyTo = (id: string) => eventually(`reply to ${id}`, async () => replies.find((r) => r.requestId === id), 15_000, 20);

  beforeAll(async () => {
    const sha256 = createHash('sha256').update(readFileSync(MODEL)).digest('hex');
    copyFileSync(MODEL, join(cacheDir, `${sha256}.onnx`));
    const cache = new ArtifactCache(cacheDir, 'http://127.0.0.1:1', async () => 'unused');
    host = new ModelHost(cache, { executionProviders: ['cpu'], name: 'cpu', hardwareAvailable: true }, 1);
    await host.serve('acme', 'mlp', {
      version: 1,
      signature,
      artifact: { sha256, sizeBytes: statSync(MODEL).size, downloadPath: '/unused' },
    });
    subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => replies.push(decodeReply(message)));
    await subscribeWhenReady(subscriber, replyChannel(prefix, 'gw-test'));
  });

  afterAll(async () => {
    await server?.stop();
    await host.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    for (const client of [redis, reader, subscriber]) client.disconnect();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('reports the version ready after loading and warming it', () => {
    expect(host.states()).toEqual([
      expect.objectContaining({ tenantId: 'acme', model: 'mlp', version: 1, state: 'ready', provider: 'cpu', instances: 1, loads: 1 }),
    ]);
  });

  it('claims requests that a dead worker of the pool left pending, and answers them', async () => {
    // A worker that read an entry and died before answering it.
    await redis.xgroup('CREATE', stream, poolConsumerGroup(prefix), '0', 'MKSTREAM');
    const orphan = request();
    await send(orphan);
    await redis.xreadgroup('GROUP', poolConsumerGroup(prefix), 'dead-worker', 'COUNT', 10, 'STREAMS', stream, '>');

    server = new PoolStreamServer(reader, redis, host, {
      prefix, pool, workerId: 'live-worker', concurrency: 2, reclaimIdleMs: 100, reclaimEveryMs: 100,
    });
    await server.start();
    const reply = await replyTo(orphan.requestId);
    expect(reply).toMatchObject({ ok: true, workerId: 'live-worker' });
  });

  it('answers what onnxruntime computes directly', async () => {
    const sent = request();
    await send(sent);
    const reply = await replyTo(sent.requestId);
    if (!reply.ok) throw new Error(reply.error);
    const got = new Float32Array(new Uint8Array(reply.outputs[0].data).buffer);
    const session = await InferenceSession.create(MODEL);
    const direct = await session.run({ input: new Tensor('float32', Float32Array.from([1, 2, 3, 4]), [1, 4]) });
    await session.release();
    expect(Array.from(got)).toEqual(Array.from(direct.probabilities.data as Float32Array));
    expect(reply.outputs[0]).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [1, 3] });
  });

  it('answers 503 for a version this worker does not host', async () => {
    const sent = request({ version: 9 });
    await send(sent);
    expect(await replyTo(sent.requestId)).toMatchObject({ ok: false, status: 503, error: "model 'mlp' version 9 is not hosted on this worker" });
  });

  it('answers 400 naming the problem when the input does not fit the model', async () => {
    const sent = request({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 5], data: Buffer.alloc(20) }] });
    await send(sent);
    const reply = await replyTo(sent.requestId);
    expect(reply).toMatchObject({ ok: false, status: 400, error: "input 'input': shape [1,5] does not match the model's [-1,4]" });
  });

  it('drops a request whose deadline has passed, and leaves nothing pending or stored', async () => {
    const late = request({ deadline: Date.now() - 1 });
    const onTime = request();
    await send(late);
    await send(onTime);
    await replyTo(onTime.requestId);
    expect(replies.find((r) => r.requestId === late.requestId)).toBeUndefined();
    await eventually('stream drained', async () => ((await redis.xlen(stream)) === 0 ? true : undefined));
    const [pendingCount] = (await redis.xpending(stream, poolConsumerGroup(prefix))) as [number];
    expect(pendingCount).toBe(0);
  });

  it('stops a released version from serving', async () => {
    await host.serve('acme', 'mlp', null);
    expect(host.states()).toEqual([]);
    const sent = request();
    await send(sent);
    expect(await replyTo(sent.requestId)).toMatchObject({ ok: false, status: 503 });
  });
});
