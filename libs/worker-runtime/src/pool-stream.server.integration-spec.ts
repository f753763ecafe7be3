import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { encodeDispatchEntry, entryBytes, poolConsumerGroup, poolStreamKey, replyStreamKey, workerLeaseKey, type DispatchReply, type DispatchRequest } from '@falaj/contracts';
import { PoolStreamBudget } from '@falaj/messaging';
import { eventually, followReplies } from '@falaj/testing';
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
  let follower: ReturnType<typeof followReplies> | undefined;
  const replies: DispatchReply[] = [];
  let host: ModelHost;
  let server: PoolStreamServer;

  const request = (overrides: Partial<DispatchRequest> = {}): DispatchRequest => ({
    dispatchId: randomUUID(),
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
  const STALLED_LEASE_MS = 2000;
  const stalled = request();
  let stalledSince = 0;
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
    follower = followReplies(REDIS_URL, prefix, 'gw-test', (reply) => replies.push(reply));
    await follower.ready;
  });

  afterAll(async () => {
    await server?.stop();
    await host.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await follower?.stop();
    for (const client of [redis, reader]) client.disconnect();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('reports the version ready after loading and warming it', () => {
    expect(host.states()).toEqual([expect.objectContaining({ tenantId: 'acme', model: 'mlp', version: 1, state: 'ready', provider: 'cpu', instances: 1, loads: 1 })]);
  });

  it('claims requests that a dead worker of the pool left pending, and answers them', async () => {
    // A worker that read an entry and died before answering it.
    await redis.xgroup('CREATE', stream, poolConsumerGroup(prefix), '0', 'MKSTREAM');
    const orphan = request();
    await send(orphan);
    await redis.xreadgroup('GROUP', poolConsumerGroup(prefix), 'dead-worker', 'COUNT', 10, 'STREAMS', stream, '>');
    // And a worker alive (its lease live for a while) that read an entry and still runs it.
    await send(stalled);
    stalledSince = Date.now();
    await redis.set(workerLeaseKey(prefix, pool, 'stalled-worker'), '1', 'PX', STALLED_LEASE_MS);
    await redis.xreadgroup('GROUP', poolConsumerGroup(prefix), 'stalled-worker', 'COUNT', 10, 'STREAMS', stream, '>');

    server = new PoolStreamServer(reader, redis, host, {
      prefix,
      pool,
      workerId: 'live-worker',
      concurrency: 2,
      lease: { endpoint: { url: REDIS_URL }, ttlMs: 400 },
      reclaimEveryMs: 100,
    });
    await server.start();
    const reply = await replyTo(orphan.requestId);
    expect(reply).toMatchObject({ ok: true, workerId: 'live-worker' });
  });

  it('leaves the entries of a worker whose lease is live alone, and claims them once it lapses', async () => {
    expect(replies.find((r) => r.requestId === stalled.requestId)).toBeUndefined();
    const reply = await replyTo(stalled.requestId);
    expect(reply).toMatchObject({ ok: true, workerId: 'live-worker' });
    // Not before the lease's end, and within a few scans (100 ms here) of it.
    const answeredAfter = Date.now() - stalledSince;
    expect(answeredAfter).toBeGreaterThanOrEqual(STALLED_LEASE_MS);
    expect(answeredAfter).toBeLessThan(STALLED_LEASE_MS + 1000);
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
    // The dispatcher matches replies by these, never by the client's request id.
    expect(reply).toMatchObject({ dispatchId: sent.dispatchId, requestId: sent.requestId, tenantId: 'acme', model: 'mlp', version: 1 });
  });

  it('answers 503 for a version this worker does not host', async () => {
    const sent = request({ version: 9 });
    await send(sent);
    expect(await replyTo(sent.requestId)).toMatchObject({
      ok: false,
      status: 503,
      error: "model 'mlp' version 9 is not hosted on this worker",
      dispatchId: sent.dispatchId,
      tenantId: 'acme',
      model: 'mlp',
      version: 9,
    });
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

/** Real Redis streams; the model host is a stand-in that runs slowly or answers big, and counts its runs. */
describe(`${PoolStreamServer.name} with a slow or large model`, () => {
  const prefix = `falajtest-${randomBytes(4).toString('hex')}`;
  const pool = 'cpu.test';
  const stream = poolStreamKey(prefix, pool);
  const redis = new Redis(REDIS_URL);
  const readers = [new Redis(REDIS_URL), new Redis(REDIS_URL)];
  const replies: DispatchReply[] = [];
  const runs = new Map<string, number>();
  let follower: ReturnType<typeof followReplies> | undefined;
  const servers: PoolStreamServer[] = [];
  /** `slow-<ms>` runs that long; `big-<bytes>` answers that many bytes. */
  const host = {
    queueDepth: 0,
    infer: async (r: DispatchRequest) => {
      runs.set(r.requestId, (runs.get(r.requestId) ?? 0) + 1);
      const [kind, size] = r.model.split('-');
      if (kind === 'slow') await new Promise((resolve) => setTimeout(resolve, Number(size)));
      const bytes = kind === 'big' ? Number(size) : 4;
      return { ok: true, outputs: [{ name: 'y', datatype: 'UINT8', shape: [bytes], data: Buffer.alloc(bytes) }], computeMs: 1 };
    },
  } as unknown as ModelHost;
  const request = (model: string): DispatchRequest => ({
    dispatchId: randomUUID(),
    requestId: randomBytes(6).toString('hex'),
    tenantId: 'acme',
    model,
    version: 1,
    replyTo: 'gw-slow',
    deadline: Date.now() + 30_000,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: Buffer.alloc(4) }],
    outputs: [],
  });
  const replyTo = (id: string) => eventually(`reply to ${id}`, async () => replies.find((r) => r.requestId === id), 15_000, 20);

  beforeAll(async () => {
    follower = followReplies(REDIS_URL, prefix, 'gw-slow', (reply) => replies.push(reply));
    await follower.ready;
    await redis.xgroup('CREATE', stream, poolConsumerGroup(prefix), '0', 'MKSTREAM');
    // Two workers of one pool that hold leases of 400 ms, refreshed by their own threads.
    for (const [i, reader] of readers.entries()) {
      const server = new PoolStreamServer(reader, redis, host, {
        prefix,
        pool,
        workerId: `worker-${i}`,
        concurrency: 4,
        lease: { endpoint: { url: REDIS_URL }, ttlMs: 400 },
        reclaimEveryMs: 100,
        maxReplyBytes: 64 * 1024,
      });
      servers.push(server);
      await server.start();
    }
  });

  afterAll(async () => {
    for (const server of servers) await server.stop();
    await follower?.stop();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    for (const client of [redis, ...readers]) client.disconnect();
  });

  it('runs an entry that takes far longer than the lease exactly once', async () => {
    const slow = request('slow-2000');
    await redis.xadd(stream, '*', ...encodeDispatchEntry(slow));
    expect(await replyTo(slow.requestId)).toMatchObject({ ok: true });
    // Long enough for a claim that would have happened to have run and answered too.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(runs.get(slow.requestId)).toBe(1);
    expect(replies.filter((r) => r.requestId === slow.requestId)).toHaveLength(1);
  });

  it('answers 422 for an answer over the reply limit, never sending it, and serves the next request', async () => {
    const big = request(`big-${64 * 1024 + 1}`);
    const fits = request(`big-${64 * 1024}`);
    await redis.xadd(stream, '*', ...encodeDispatchEntry(big));
    await redis.xadd(stream, '*', ...encodeDispatchEntry(fits));
    expect(await replyTo(big.requestId)).toMatchObject({
      ok: false,
      status: 422,
      error: `the answer is ${64 * 1024 + 1} bytes, over the reply limit of ${64 * 1024} bytes: ask for fewer outputs or a smaller batch`,
    });
    const reply = await replyTo(fits.requestId);
    expect(reply.ok && reply.outputs[0].data.length).toBe(64 * 1024);
  });

  it('leaves no reply behind in the reply stream once read, and expires the stream', async () => {
    const key = replyStreamKey(prefix, 'gw-slow');
    await eventually('reply stream drained', async () => ((await redis.xlen(key)) === 0 ? true : undefined));
    expect(await redis.pttl(key)).toBeGreaterThan(0);
  });
});

/**
 * Real Redis streams, the budget's real scripts; the model host is a stand-in that runs slowly.
 * Every way an entry leaves the pool stream takes exactly its bytes off the counter: checked
 * while another entry is still held, so a reset at the drain cannot hide a wrong decrement.
 */
describe(`${PoolStreamServer.name} and the pool stream's budget`, () => {
  const prefix = `falajtest-${randomBytes(4).toString('hex')}`;
  const pool = 'cpu.test';
  const stream = poolStreamKey(prefix, pool);
  const group = poolConsumerGroup(prefix);
  const redis = new Redis(REDIS_URL);
  const reader = new Redis(REDIS_URL);
  const budget = new PoolStreamBudget(redis, prefix);
  const limits = { maxEntries: 100, maxBytes: 1024 * 1024 };
  const replies: DispatchReply[] = [];
  let follower: ReturnType<typeof followReplies> | undefined;
  let server: PoolStreamServer | undefined;
  const host = {
    queueDepth: 0,
    infer: async (r: DispatchRequest) => {
      const [kind, ms] = r.model.split('-');
      if (kind === 'slow') await new Promise((resolve) => setTimeout(resolve, Number(ms)));
      return { ok: true, outputs: [{ name: 'y', datatype: 'UINT8', shape: [1], data: Buffer.alloc(1) }], computeMs: 1 };
    },
  } as unknown as ModelHost;
  const request = (model: string, overrides: Partial<DispatchRequest> = {}): DispatchRequest => ({
    dispatchId: randomUUID(),
    requestId: randomBytes(6).toString('hex'),
    tenantId: 'acme',
    model,
    version: 1,
    replyTo: 'gw-budget',
    deadline: Date.now() + 30_000,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [8], data: Buffer.alloc(32) }],
    outputs: [],
    ...overrides,
  });
  const bytesOf = (fields: (string | Buffer)[]) => entryBytes(fields.map((f) => (Buffer.isBuffer(f) ? f : Buffer.from(f))));
  /** Enqueued through the budget's script, as every gateway does; answers the bytes it counts for. */
  const enqueue = async (fields: (string | Buffer)[]): Promise<number> => {
    const outcome = await budget.enqueue(pool, fields, limits);
    if (!outcome.accepted) throw new Error(`refused by ${outcome.limit}`);
    return bytesOf(fields);
  };
  /** A slow request held by the worker for the length of a check. */
  const holdOne = async (): Promise<{ bytes: number; requestId: string }> => {
    const slow = request('slow-1500');
    const bytes = await enqueue(encodeDispatchEntry(slow));
    return { bytes, requestId: slow.requestId };
  };
  const usageIs = (expected: { entries: number; bytes: number }) =>
    eventually(
      `usage ${JSON.stringify(expected)}`,
      async () => {
        const usage = await budget.usage(pool);
        return usage.entries === expected.entries && usage.bytes === expected.bytes ? usage : undefined;
      },
      10_000,
      20,
    );
  const drained = () => usageIs({ entries: 0, bytes: 0 });

  beforeAll(async () => {
    follower = followReplies(REDIS_URL, prefix, 'gw-budget', (reply) => replies.push(reply));
    await follower.ready;
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
  });

  afterAll(async () => {
    await server?.stop();
    await follower?.stop();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    for (const client of [redis, reader]) client.disconnect();
  });

  it('takes a reclaimed entry off when the worker that claimed it serves it', async () => {
    // Read by a worker that died before answering: pending, idle, claimed by the live one.
    const orphan = request('fast');
    await enqueue(encodeDispatchEntry(orphan));
    await redis.xreadgroup('GROUP', group, 'dead-worker', 'COUNT', 10, 'STREAMS', stream, '>');
    server = new PoolStreamServer(reader, redis, host, { prefix, pool, workerId: 'live-worker', concurrency: 4, lease: { endpoint: { url: REDIS_URL }, ttlMs: 400 }, reclaimEveryMs: 100 });
    await server.start();
    await eventually('orphan answered', async () => replies.find((r) => r.requestId === orphan.requestId), 10_000, 20);
    await drained();
  });

  it("takes exactly a served entry's bytes off", async () => {
    const held = await holdOne();
    const served = request('fast');
    await enqueue(encodeDispatchEntry(served));
    await eventually('served', async () => replies.find((r) => r.requestId === served.requestId), 10_000, 20);
    await usageIs({ entries: 1, bytes: held.bytes });
    await drained();
  });

  it('takes exactly the bytes of an entry dropped past its deadline off', async () => {
    const held = await holdOne();
    await enqueue(encodeDispatchEntry(request('fast', { deadline: Date.now() - 1 })));
    await usageIs({ entries: 1, bytes: held.bytes });
    await drained();
  });

  it('takes exactly the bytes of an undecodable entry off', async () => {
    const held = await holdOne();
    await enqueue(['h', '{"not":"a dispatch"}', 'd', Buffer.alloc(100)]);
    await usageIs({ entries: 1, bytes: held.bytes });
    await drained();
  });

  it('counts an entry removed twice (served by two workers) once', async () => {
    const held = await holdOne();
    const [[id]] = (await redis.xrange(stream, '-', '+')) as [string, string[]][];
    // As a slow first worker would, after its entry's reclaimer already removed it.
    await budget.remove(pool, group, [{ id, bytes: held.bytes }]);
    expect(await budget.usage(pool)).toEqual({ entries: 0, bytes: 0 });
    await eventually('held answered', async () => replies.find((r) => r.requestId === held.requestId), 10_000, 20);
    await drained();
  });
});
