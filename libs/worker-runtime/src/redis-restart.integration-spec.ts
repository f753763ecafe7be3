import { spawn, type ChildProcess } from 'node:child_process';
import type Redis from 'ioredis';
import { BackboneUnavailableError, type DispatchRequest } from '@falaj/contracts';
import { PoolDispatcher } from '@falaj/dispatch';
import { createRedis } from '@falaj/messaging';
import { eventually, freePorts } from '@falaj/testing';
import type { InferOutcome, ModelHost } from './model-host';
import { PoolStreamServer } from './pool-stream.server';

/**
 * A real Redis restart under a gateway's dispatcher and a worker's stream server: a private
 * `redis-server` on a free port, with nothing on disk (the shared Redis is never restarted), so
 * the restart drops every connection and every key. Real: Redis, PoolDispatcher, PoolStreamServer
 * and its lease thread; the model host is a stand-in that answers at once or when let go.
 */
describe('a Redis restart under a dispatch (PoolDispatcher, PoolStreamServer)', () => {
  let port: number;
  let server: ChildProcess | undefined;
  const connections: Redis[] = [];
  let dispatcher: PoolDispatcher;
  let worker: PoolStreamServer;
  /** Calls the host holds until let go: a request in flight across the restart. */
  let held: (() => void) | undefined;
  let holdNext = false;
  const ran: string[] = [];

  const startRedis = async () => {
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await eventually(
      'redis-server up',
      async () => {
        const probe = createRedis({ url: `redis://127.0.0.1:${port}` }, 'probe');
        try {
          return (await probe.ping()) === 'PONG' ? true : undefined;
        } finally {
          probe.disconnect();
        }
      },
      10_000,
      100,
    );
  };
  const stopRedis = async () => {
    const running = server;
    server = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });
  };
  const connect = (name: string) => {
    const redis = createRedis({ url: `redis://127.0.0.1:${port}` }, name);
    connections.push(redis);
    return redis;
  };
  const host = {
    queueDepth: 0,
    infer: async (request: DispatchRequest): Promise<InferOutcome> => {
      ran.push(request.requestId);
      if (holdNext) {
        holdNext = false;
        await new Promise<void>((resolve) => (held = resolve));
      }
      return { ok: true, outputs: [], computeMs: 0, batchRequests: 1 };
    },
  } as unknown as ModelHost;
  const request = (requestId: string) => ({
    requestId,
    tenantId: 'acme',
    model: 'mlp',
    version: 1,
    deadline: Date.now() + 30_000,
    inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [1], data: Buffer.from(new Float32Array([1]).buffer) }],
    outputs: [],
  });

  beforeAll(async () => {
    [port] = await freePorts(1);
    await startRedis();
    dispatcher = new PoolDispatcher(connect('gw'), connect('gw:replies'), 'rr', 'gw-1');
    await dispatcher.start();
    worker = new PoolStreamServer(connect('worker:reader'), connect('worker'), host, {
      prefix: 'rr',
      pool: 'cpu.ae',
      workerId: 'w1',
      concurrency: 4,
      lease: { endpoint: { url: `redis://127.0.0.1:${port}` }, ttlMs: 2000 },
    });
    await worker.start();
  }, 30_000);

  afterAll(async () => {
    held?.();
    await dispatcher?.stop();
    await Promise.race([worker?.stop(), new Promise((resolve) => setTimeout(resolve, 5000))]);
    for (const c of connections) c.disconnect();
    await stopRedis();
  });

  it('answers before the restart, fails the call in flight at once as a retryable 503, and answers again within seconds after it', async () => {
    await expect(dispatcher.dispatch('cpu.ae', request('before'), 10_000)).resolves.toMatchObject({ ok: true, requestId: 'before' });

    holdNext = true;
    const inFlight = dispatcher.dispatch('cpu.ae', request('in-flight'), 30_000).then(
      () => 'answered',
      (error: unknown) => error,
    );
    await eventually('the worker runs it', async () => (ran.includes('in-flight') ? true : undefined), 5000, 20);
    const restartedAt = Date.now();
    await stopRedis();
    const outcome = await inFlight;
    expect(outcome).toBeInstanceOf(BackboneUnavailableError);
    expect(outcome).toMatchObject({ status: 503, retryAfterSeconds: 1 });
    // Failed when the connection dropped, not at its 30 s deadline.
    expect(Date.now() - restartedAt).toBeLessThan(3000);

    // While Redis is away, a new call is refused as retryable too, never left waiting.
    const whileAway = await dispatcher.dispatch('cpu.ae', request('while-away'), 30_000).then(
      () => 'answered',
      (error: unknown) => error,
    );
    expect(whileAway).toMatchObject({ status: 503, retryAfterSeconds: 1 });

    await startRedis();
    held?.(); // the worker finishes the old call: its answer has nowhere to go, and nothing waits for it
    const back = Date.now();
    // The worker makes its consumer group again on NOGROUP, the dispatcher its reply stream on reconnecting.
    const answered = await eventually(
      'answered again after the restart',
      async () => {
        const reply = await dispatcher.dispatch('cpu.ae', request(`after-${Date.now()}`), 3000).catch(() => undefined);
        return reply?.ok ? reply : undefined;
      },
      15_000,
      100,
    );
    expect(answered.ok).toBe(true);
    expect(Date.now() - back).toBeLessThan(10_000);
  }, 60_000);
});
