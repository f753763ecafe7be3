import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import Redis from 'ioredis';
import { SCOPES } from '@falaj/auth';
import { poolStreamBytesKey, poolStreamKey } from '@falaj/contracts';
import { FalajSuite, OipGrpcClient, eventually } from '@falaj/testing';

/**
 * Issue 11: a pool stream past its budget refuses new work (503 with Retry-After; gRPC
 * UNAVAILABLE) instead of trimming what it accepted. The five built apps against real Redis and
 * onnxruntime; the pool's one worker is stopped (SIGSTOP: alive to the heartbeats' last beat,
 * reading nothing) while the stream fills, then resumed: every accepted request is answered.
 */
const MODEL = join(__dirname, '..', '..', 'models', 'tiny-mlp.onnx');
const MAX_ENTRIES = 8;
const POOL = 'cpu.ae';

describe('the pool stream budget (e2e)', () => {
  const suite = new FalajSuite();
  let redis: Redis;
  let token = '';
  const body = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] };
  const infer = async (path = '/v2/models/tiny-mlp/infer', payload: object = body) => {
    const response = await fetch(`${suite.gatewayUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { error?: string; outputs?: unknown[]; predictions?: unknown[] } };
  };
  const usage = async () => ({
    entries: await redis.xlen(poolStreamKey(suite.prefix, POOL)),
    bytes: Number((await redis.get(poolStreamBytesKey(suite.prefix, POOL))) ?? 0),
  });

  beforeAll(async () => {
    await suite.start({ env: { gateway: { FALAJ_POOL_STREAM_MAX_ENTRIES: String(MAX_ENTRIES) } } });
    redis = suite.adminRedis('stream-budget-e2e');
    const admin = await suite.platformAdminToken();
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'acme', name: 'Acme', residency: 'ae' })).status).toBe(201);
    token = await suite.token({ tenantId: 'acme', subject: 'svc', scopes: [SCOPES.infer, SCOPES.modelsRead, SCOPES.modelsWrite] });
    expect((await suite.call('POST', '/admin/models', token, { name: 'tiny-mlp' })).status).toBe(201);
    expect((await suite.call('POST', '/admin/models/tiny-mlp/versions', token, readFileSync(MODEL), { 'content-type': 'application/octet-stream' })).status).toBe(201);
    expect((await suite.call('POST', '/admin/models/tiny-mlp/versions/1/stage', token, { stage: 'production' })).status).toBe(200);
    await eventually('tiny-mlp ready', async () => ((await suite.call('GET', '/v2/models/tiny-mlp/ready', token)).status === 200 ? true : undefined), 90_000);
    expect((await infer()).status).toBe(200);
  }, 240_000);

  afterAll(async () => {
    const pid = suite.app('cpu-worker').pid;
    if (pid !== undefined) process.kill(pid, 'SIGCONT');
    redis?.disconnect();
    await suite.stop();
  }, 60_000);

  it('refuses past the budget with 503 and Retry-After on every protocol, then answers every accepted request once the worker reads again, and the counter returns to 0', async () => {
    await eventually('stream empty after warm-up', async () => ((await usage()).entries === 0 ? true : undefined));
    const worker = suite.app('cpu-worker').pid!;
    process.kill(worker, 'SIGSTOP');
    let resumed = false;
    try {
      // Within the heartbeats' 5 s: the pool still looks ready, nothing reads its stream.
      const accepted = Array.from({ length: MAX_ENTRIES }, () => infer());
      await eventually('stream full', async () => ((await usage()).entries === MAX_ENTRIES ? true : undefined), 3000, 20);
      const held = await usage();
      expect(held.bytes).toBeGreaterThan(0);

      const started = performance.now();
      const refused = await infer();
      expect(performance.now() - started).toBeLessThan(1000);
      expect(refused).toMatchObject({ status: 503, retryAfter: '1' });
      expect(refused.body.error).toBe(`over capacity: pool ${POOL}'s stream holds ${MAX_ENTRIES} requests, its limit of ${MAX_ENTRIES} (FALAJ_POOL_STREAM_MAX_ENTRIES); retry after 1 s`);
      const kserve = await infer('/v1/models/tiny-mlp:predict', { instances: [[5.1, 3.5, 1.4, 0.2]] });
      expect(kserve).toMatchObject({ status: 503, retryAfter: '1' });
      const client = new OipGrpcClient(suite.grpcTarget, token);
      try {
        const error = (await client.infer({ model: 'tiny-mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: Buffer.from(new Float32Array([5.1, 3.5, 1.4, 0.2]).buffer) }] }).then(
          () => undefined,
          (e: grpc.ServiceError) => e,
        ))!;
        expect(error.code).toBe(14); // UNAVAILABLE
        expect(error.metadata.get('retry-after')).toEqual(['1']);
      } finally {
        client.close();
      }
      // Nothing accepted was trimmed to make room, and the refusals added nothing.
      expect(await usage()).toEqual(held);

      process.kill(worker, 'SIGCONT');
      resumed = true;
      const answers = await Promise.all(accepted);
      expect(answers.map((a) => a.status)).toEqual(Array(MAX_ENTRIES).fill(200));
      for (const answer of answers) expect(answer.body.outputs).toHaveLength(1);
      await eventually(
        'stream drained',
        async () => {
          const now = await usage();
          return now.entries === 0 && now.bytes === 0 ? true : undefined;
        },
        15_000,
      );
    } finally {
      if (!resumed) process.kill(worker, 'SIGCONT');
    }

    const metrics = await fetch(`${suite.gatewayUrl}/metrics`, { headers: { authorization: `Bearer ${await suite.platformAdminToken()}` } });
    const text = await metrics.text();
    expect(text).toMatch(/falaj_gateway_refused_total\{limit="stream_entries"\} 3/);
    expect(text).toMatch(/falaj_limit_refusals_total\{limit="stream_entries"\} 3/);
    // Served again, below the budget.
    expect((await infer()).status).toBe(200);
  }, 120_000);
});
