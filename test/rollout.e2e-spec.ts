import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Consumer } from 'kafkajs';
import { RolloutEventSchema, rolloutTopic, type RolloutEvent } from '@falaj/contracts';
import { FalajSuite, eventually, testKafka } from '@falaj/testing';
import { brokenModel } from './support/onnx-fixtures';

/**
 * Progressive rollouts against the five built apps: live traffic through the gateway, the
 * audit log it leaves in Postgres as the analysis's input, deployment revisions as steps, and
 * every step on Kafka. A good canary goes all the way; a broken one is rolled back by itself.
 */
const MLP = readFileSync(join(__dirname, '..', 'models', 'tiny-mlp.onnx'));
const BODY = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] };
const octet = { 'content-type': 'application/octet-stream' };

describe('Progressive rollout (e2e)', () => {
  const suite = new FalajSuite();
  const kafka = testKafka('e2e-rollouts');
  const published: RolloutEvent[] = [];
  let consumer: Consumer;
  let token = '';

  /** Live traffic with distinct routing keys, so every step's split sends some of it to the canary. */
  const traffic = () => {
    let running = true;
    const answers: { status: number; version: string | null; error?: string }[] = [];
    const load = Promise.all(
      Array.from({ length: 6 }, async (_, lane) => {
        for (let i = 0; running; i++) {
          const response = await suite.call('POST', '/v2/models/ranker/infer', token, BODY, { 'x-routing-key': `u-${lane}-${i}` });
          answers.push({ status: response.status, version: response.headers.get('x-falaj-model-version'), error: response.json?.error });
        }
      }),
    );
    return { answers, stop: async () => ((running = false), await load) };
  };
  const rollout = async (id: string) => (await suite.call('GET', `/admin/models/ranker/rollouts/${id}`, token)).json;
  const settled = (id: string, timeoutMs = 90_000) =>
    eventually(
      `rollout ${id} to finish`,
      async () => {
        const r = await rollout(id);
        return ['succeeded', 'rolled_back', 'aborted'].includes(r.state) ? r : undefined;
      },
      timeoutMs,
      250,
    );

  beforeAll(async () => {
    await suite.start({ env: { registry: { FALAJ_ROLLOUT_TICK_MS: '250' } } });
    const admin = await suite.platformAdminToken();
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'acme', name: 'Acme', residency: 'ae' })).status).toBe(201);
    token = await suite.token({ tenantId: 'acme', subject: 'acme-app', scopes: ['infer', 'models:read', 'models:write', 'deployments:write'] });
    expect((await suite.call('POST', '/admin/models', token, { name: 'ranker' })).status).toBe(201);
    for (const bytes of [MLP, MLP, brokenModel()]) expect((await suite.call('POST', '/admin/models/ranker/versions', token, bytes, octet)).status).toBe(201);
    expect((await suite.call('POST', '/admin/models/ranker/versions/1/stage', token, { stage: 'production' })).status).toBe(200);
    await eventually('v1 serving', async () => ((await suite.call('POST', '/v2/models/ranker/infer', token, BODY)).status === 200 ? true : undefined), 60_000);

    consumer = kafka.consumer({ groupId: `${suite.prefix}-e2e-rollouts` });
    await consumer.connect();
    await consumer.subscribe({ topic: rolloutTopic(suite.prefix), fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void published.push(RolloutEventSchema.parse(JSON.parse(message.value!.toString()))) });
  }, 180_000);

  afterAll(async () => {
    await consumer?.disconnect();
    await suite.stop();
  }, 60_000);

  it('refuses a bad plan, a canary that already serves, and an unknown rollout, in the OIP error shape', async () => {
    const bad = await suite.call('POST', '/admin/models/ranker/rollouts', token, { canary: 2, steps: [50, 20] });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toContain('steps must rise');
    const same = await suite.call('POST', '/admin/models/ranker/rollouts', token, { canary: 1 });
    expect(same.status).toBe(400);
    expect(same.json.error).toContain('already takes all the traffic');
    expect((await suite.call('POST', '/admin/models/ranker/rollouts', token, { canary: 9 })).status).toBe(400);
    expect((await suite.call('GET', '/admin/models/ranker/rollouts/not-an-id', token)).status).toBe(404);
    expect((await suite.call('POST', '/admin/models/ranker/rollouts', null, { canary: 2 })).status).toBe(401);
  });

  it('takes a healthy canary through every step on live traffic, then promotes it', async () => {
    const load = traffic();
    try {
      const started = await suite.call('POST', '/admin/models/ranker/rollouts', token, {
        canary: 2,
        steps: [20, 60, 100],
        pauseSeconds: 1,
        analysis: { maxErrorRate: 0.05, minRequests: 10 },
      });
      expect(started.status).toBe(201);
      expect(started.json).toMatchObject({ state: 'progressing', baselineVersion: 1, canaryVersion: 2, canaryWeight: 20, step: 0 });
      const again = await suite.call('POST', '/admin/models/ranker/rollouts', token, { canary: 3 });
      expect(again.status).toBe(409);
      const done = await settled(started.json.id);
      expect(done.state).toBe('succeeded');
      expect(done.events.map((e: { type: string; canaryWeight: number }) => `${e.type}@${e.canaryWeight}`)).toEqual([
        'rollout.started@20',
        'rollout.step@60',
        'rollout.step@100',
        'rollout.succeeded@100',
      ]);
      // Every advance was decided on canary traffic that met the SLO.
      for (const e of done.events.slice(1)) {
        expect(e.canary.requests).toBeGreaterThanOrEqual(10);
        expect(e.canary.errorRate).toBeLessThanOrEqual(0.05);
        expect(e.reason).toContain('canary within SLO');
      }
      const deployment = (await suite.call('GET', '/admin/models/ranker/deployment', token)).json;
      expect(deployment.targets).toEqual([{ version: 2, weight: 100 }]);
    } finally {
      await load.stop();
    }
    expect(load.answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(new Set(load.answers.map((a) => a.version))).toEqual(new Set(['1', '2']));
  }, 120_000);

  it('rolls a broken canary back by itself, within its first step, and every step is on Kafka', async () => {
    const load = traffic();
    let id = '';
    let rolledBackAfterMs: number | undefined;
    try {
      const started = await suite.call('POST', '/admin/models/ranker/rollouts', token, {
        canary: 3,
        steps: [20, 50, 100],
        pauseSeconds: 30,
        analysis: { maxErrorRate: 0.05, minRequests: 10 },
        reason: 'try the new ranker',
      });
      expect(started.status).toBe(201);
      id = started.json.id;
      const done = await settled(id);
      expect(done.state).toBe('rolled_back');
      rolledBackAfterMs = new Date(done.finishedAt).getTime() - new Date(started.json.createdAt).getTime();
      expect(done.reason).toMatch(/^SLO breached at 20%: canary error rate 100\.0% \(\d+ of \d+\) > 5\.0%$/);
      expect(done.events.map((e: { type: string }) => e.type)).toEqual(['rollout.started', 'rollout.rolled_back']);
      expect(done.events[1].canary.errors).toBeGreaterThanOrEqual(10);
      expect(done.events[1].baseline.errorRate).toBe(0);
      const deployment = (await suite.call('GET', '/admin/models/ranker/deployment', token)).json;
      expect(deployment.targets).toEqual([{ version: 2, weight: 100 }]);
      // After the rollback, everything is answered by the version from before the rollout.
      const mark = load.answers.length;
      await eventually('all on v2 again', async () => (load.answers.length > mark + 60 && load.answers.slice(-30).every((a) => a.status === 200 && a.version === '2') ? true : undefined), 30_000);
    } finally {
      await load.stop();
    }
    // The canary never took more than its first step's share.
    const failed = load.answers.filter((a) => a.status !== 200);
    const statuses = [...new Set(failed.map((a) => a.status))].join(', ');
    process.stdout.write(`broken canary: rolled back ${rolledBackAfterMs} ms after the start; ${failed.length} of ${load.answers.length} requests failed (status ${statuses})\n`);
    process.stdout.write(`${[...new Set(failed.map((a) => `${a.status} ${a.error}`))].join('\n')}\n`);
    expect(statuses).toBe('500');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length / load.answers.length).toBeLessThan(0.2);

    const revisions = (await suite.call('GET', '/admin/models/ranker/deployment/revisions', token)).json.revisions;
    expect(revisions.at(-1).reason).toContain(`rollout ${id} rolled back: SLO breached`);
    await eventually(
      'every step on Kafka',
      async () => {
        const types = published.filter((e) => e.rolloutId === id).map((e) => e.type);
        return types.length === 2 ? types : undefined;
      },
      15_000,
    );
    expect(published.filter((e) => e.rolloutId === id).map((e) => `${e.type}:${e.state}`)).toEqual(['rollout.started:progressing', 'rollout.rolled_back:rolled_back']);
    expect(published.filter((e) => e.type === 'rollout.succeeded')).toHaveLength(1);
  }, 120_000);

  it("pauses, resumes and aborts on an operator's word, restoring the deployment", async () => {
    const started = await suite.call('POST', '/admin/models/ranker/rollouts', token, { canary: 1, pauseSeconds: 600 });
    expect(started.status).toBe(201);
    const { id } = started.json;
    const paused = await suite.call('POST', `/admin/models/ranker/rollouts/${id}/pause`, token, { reason: 'hold for review' });
    expect({ status: paused.status, state: paused.json.state, body: paused.json }).toMatchObject({ state: 'paused' });
    expect((await suite.call('POST', `/admin/models/ranker/rollouts/${id}/pause`, token, {})).status).toBe(409);
    expect((await suite.call('POST', `/admin/models/ranker/rollouts/${id}/resume`, token, {})).json.state).toBe('progressing');
    const live = await rollout(id);
    expect(live.live.verdict.action).toBe('hold');
    const aborted = await suite.call('POST', `/admin/models/ranker/rollouts/${id}/abort`, token, { reason: 'not today' });
    expect(aborted.json).toMatchObject({ state: 'aborted', canaryWeight: 0, reason: 'not today' });
    expect((await suite.call('GET', '/admin/models/ranker/deployment', token)).json.targets).toEqual([{ version: 2, weight: 100 }]);
    expect((await suite.call('POST', `/admin/models/ranker/rollouts/${id}/abort`, token, {})).status).toBe(409);
    const list = (await suite.call('GET', '/admin/models/ranker/rollouts', token)).json.rollouts;
    expect(list.map((r: { state: string }) => r.state)).toEqual(['aborted', 'rolled_back', 'succeeded']);
  }, 60_000);

  it('never writes a credential to any app log, though the rollout logs from inside admin requests', () => {
    const logs = join(suite.workDir, 'logs');
    for (const file of readdirSync(logs)) {
      const text = readFileSync(join(logs, file), 'utf8');
      expect(text).not.toContain(token);
      expect(text).not.toMatch(/Bearer ey/);
    }
    expect(readFileSync(join(logs, 'registry.log'), 'utf8')).toContain('rollout started');
  });
});
