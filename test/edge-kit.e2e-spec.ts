import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditTopic, regionAuditTopic } from '@falaj/contracts';
import { FalajSuite, eventually, testKafka } from '@falaj/testing';

/**
 * One inference edge (issue 13) against the five built apps, real Postgres, Redis, Kafka and
 * onnxruntime: two CPU workers, one in region `ae`, one in `eu`, and two audit stores, one
 * database per region (FALAJ_REGION_STORES). Batch-job rows and async calls run through the same
 * plan as sync calls — placed in the tenant's region, admitted by its quota, dispatched to the
 * pool's stream, audited once in its region's store and nowhere else — and a tenant's model is
 * held only by workers of its region. A region without a store is refused, not audited elsewhere.
 */
const MODEL = join(__dirname, '..', 'models', 'tiny-mlp.onnx');
const SCOPES = ['infer', 'models:write', 'models:read', 'deployments:write', 'audit:read'];
const octet = { 'content-type': 'application/octet-stream' };
const ndjson = { 'content-type': 'application/x-ndjson' };
const rowOf = (i: number) => [i % 7, (i % 5) - 2, (i % 3) / 2, 1];
const body = (rows: number) => Buffer.from(Array.from({ length: rows }, (_, i) => JSON.stringify(rowOf(i))).join('\n') + '\n');

interface ResultLine {
  index: number;
  state: string;
  status: number;
  pool?: string;
  workerId?: string;
}

describe('one inference edge: jobs and async calls in the tenant region (e2e)', () => {
  const suite = new FalajSuite();
  const tokens: Record<string, string> = {};
  const workerIds: Record<'ae' | 'eu', string> = { ae: '', eu: '' };
  const WORKER = { ae: 'cpu-worker', eu: 'cpu-worker-2' } as const;

  const workerStatus = async (region: 'ae' | 'eu') => {
    const response = await fetch(`${suite.appUrl(WORKER[region])}/health/status`, { headers: { authorization: `Bearer ${await suite.platformAdminToken()}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as { workerId: string; region: string; models: { tenantId: string; model: string; version: number; state: string }[] };
  };
  const finished = (tenant: string, id: string, timeoutMs = 120_000) =>
    eventually(
      `job ${id} finished`,
      async () => {
        const job = (await suite.call('GET', `/v2/batch/jobs/${id}`, tokens[tenant])).json;
        return ['completed', 'failed', 'cancelled'].includes(job.state) ? job : undefined;
      },
      timeoutMs,
      200,
    );
  const results = async (tenant: string, id: string): Promise<ResultLine[]> =>
    (await suite.call('GET', `/v2/batch/jobs/${id}/results`, tokens[tenant])).text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
  const REGIONS = ['ae', 'eu'] as const;
  const jobAuditSql = `SELECT count(*)::int AS rows, count(DISTINCT event_id)::int AS events, string_agg(DISTINCT protocol, ',') AS protocols,
              string_agg(DISTINCT served_region, ',') AS served, string_agg(DISTINCT pool, ',') AS pools, string_agg(DISTINCT residency_region, ',') AS residency
         FROM audit_log WHERE request_id LIKE $1`;
  type JobAudit = { rows: number; events: number; protocols: string; served: string; pools: string; residency: string };
  /** The job's audit rows in its region's store, after checking that no other database holds one. */
  const auditOfJob = async (id: string, region: 'ae' | 'eu' = 'ae'): Promise<JobAudit[]> => {
    const count = `SELECT (SELECT count(*)::int FROM audit_log WHERE request_id LIKE $1) + (SELECT count(*)::int FROM batch_rows WHERE job_id::text = $2) AS n`;
    expect(await suite.query(count, [`${id}/%`, id])).toEqual([{ n: 0 }]);
    for (const other of REGIONS.filter((r) => r !== region)) expect(await suite.queryRegion(other, count, [`${id}/%`, id])).toEqual([{ n: 0 }]);
    return suite.queryRegion<JobAudit>(region, jobAuditSql, [`${id}/%`]);
  };

  beforeAll(async () => {
    await suite.start({ cpuWorkers: 2, cpuWorkerEnv: [{ FALAJ_REGION: 'ae' }, { FALAJ_REGION: 'eu' }], regionStores: [...REGIONS] });
    const admin = await suite.platformAdminToken();
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'usco', name: 'usco', residency: 'us' })).status).toBe(201);
    tokens.usco = await suite.token({ tenantId: 'usco', subject: 'usco-batcher', scopes: SCOPES });
    for (const [id, residency] of [
      ['acme', 'ae'],
      ['euco', 'eu'],
    ]) {
      expect((await suite.call('POST', '/admin/tenants', admin, { id, name: id, residency })).status).toBe(201);
      tokens[id] = await suite.token({ tenantId: id, subject: `${id}-batcher`, scopes: SCOPES });
      expect((await suite.call('POST', '/admin/models', tokens[id], { name: 'scorer' })).status).toBe(201);
      expect((await suite.call('POST', '/admin/models/scorer/versions', tokens[id], readFileSync(MODEL), octet)).status).toBe(201);
      expect((await suite.call('POST', '/admin/models/scorer/versions/1/stage', tokens[id], { stage: 'production' })).status).toBe(200);
    }
    for (const tenant of ['acme', 'euco']) {
      await eventually(`${tenant}'s scorer ready`, async () => ((await suite.call('GET', '/v2/models/scorer/ready', tokens[tenant])).status === 200 ? true : undefined), 90_000);
    }
    workerIds.ae = (await workerStatus('ae')).workerId;
    workerIds.eu = (await workerStatus('eu')).workerId;
  }, 240_000);

  afterAll(async () => {
    await suite.stop();
  }, 60_000);

  it("holds a tenant's model only on the workers of its region", async () => {
    const [ae, eu] = [await workerStatus('ae'), await workerStatus('eu')];
    expect(ae.models.filter((m) => m.model === 'scorer').map((m) => [m.tenantId, m.state])).toEqual([['acme', 'ready']]);
    expect(eu.models.filter((m) => m.model === 'scorer').map((m) => [m.tenantId, m.state])).toEqual([['euco', 'ready']]);
  });

  it("runs an ae tenant's batch job on the ae worker only, every row audited exactly once with where it ran", async () => {
    const before = (await workerStatus('eu')).models.find((m) => m.tenantId === 'euco')?.state;
    const submitted = await suite.call('POST', '/v2/batch/jobs?model=scorer&chunkSize=50', tokens.acme, body(400), ndjson);
    expect(submitted.status).toBe(201);
    const job = await finished('acme', submitted.json.id);
    expect(job).toMatchObject({ state: 'completed', total: 400, processed: 400, failed: 0, waiting: null });
    const lines = await results('acme', submitted.json.id);
    expect(lines).toHaveLength(400);
    // Each row says where it ran: the ae pool, answered by the ae worker.
    expect(new Set(lines.map((l) => `${l.state} ${l.status} ${l.pool} ${l.workerId}`))).toEqual(new Set([`done 200 cpu.ae ${workerIds.ae}`]));
    expect(await auditOfJob(submitted.json.id)).toEqual([{ rows: 400, events: 400, protocols: 'batch', served: 'ae', pools: 'cpu.ae', residency: 'ae' }]);
    // The eu worker still holds no model of acme's.
    expect((await workerStatus('eu')).models.filter((m) => m.tenantId === 'acme')).toEqual([]);
    expect((await workerStatus('eu')).models.find((m) => m.tenantId === 'euco')?.state).toBe(before);
  }, 180_000);

  it("runs an eu tenant's job on the eu worker, so the two regions never mix", async () => {
    const submitted = await suite.call('POST', '/v2/batch/jobs?model=scorer&chunkSize=20', tokens.euco, body(60), ndjson);
    expect(submitted.status).toBe(201);
    expect(await finished('euco', submitted.json.id)).toMatchObject({ state: 'completed', processed: 60, failed: 0 });
    expect(new Set((await results('euco', submitted.json.id)).map((l) => `${l.pool} ${l.workerId}`))).toEqual(new Set([`cpu.eu ${workerIds.eu}`]));
    expect(await auditOfJob(submitted.json.id, 'eu')).toEqual([{ rows: 60, events: 60, protocols: 'batch', served: 'eu', pools: 'cpu.eu', residency: 'eu' }]);
  }, 120_000);

  it("answers an ae tenant's async call from the ae worker, audited once as async", async () => {
    const call = { id: 'async-ae', inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: rowOf(3) }] };
    const accepted = await suite.call('POST', '/v2/models/scorer/infer', tokens.acme, call, { prefer: 'respond-async' });
    expect(accepted.status).toBe(202);
    const location = accepted.headers.get('location')!;
    const answered = await eventually(
      'async answer',
      async () => {
        const polled = await suite.call('GET', location, tokens.acme);
        return polled.status === 200 ? polled : undefined;
      },
      60_000,
      100,
    );
    expect(answered.json).toEqual((await suite.call('POST', '/v2/models/scorer/infer', tokens.acme, call)).json);
    const id = location.split('/').at(-1)!;
    expect(await suite.queryRegion('ae', `SELECT pool, worker_id FROM batch_rows WHERE job_id = $1`, [id])).toEqual([{ pool: 'cpu.ae', worker_id: workerIds.ae }]);
    expect(await auditOfJob(id)).toEqual([{ rows: 1, events: 1, protocols: 'async', served: 'ae', pools: 'cpu.ae', residency: 'ae' }]);
  }, 90_000);

  it("draws the tenant's quota per row: a job over it waits, saying why, and sync calls share the budget", async () => {
    const admin = await suite.platformAdminToken();
    expect((await suite.call('PUT', '/admin/tenants/acme/quota', admin, { rps: 5, burst: 5 })).status).toBe(200);
    try {
      // Applied on the gateway (and the registry) once a burst of sync calls is refused.
      const probe = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: rowOf(1) }] };
      await eventually(
        'quota in force',
        async () => {
          const answers = await Promise.all(Array.from({ length: 10 }, () => suite.call('POST', '/v2/models/scorer/infer', tokens.acme, probe)));
          return answers.some((a) => a.status === 429) ? true : undefined;
        },
        10_000,
        50,
      );
      const started = Date.now();
      const submitted = await suite.call('POST', '/v2/batch/jobs?model=scorer&chunkSize=10', tokens.acme, body(30), ndjson);
      expect(submitted.status).toBe(201);
      const waiting = await eventually(
        'job waits on its quota',
        async () => {
          const view = (await suite.call('GET', `/v2/batch/jobs/${submitted.json.id}`, tokens.acme)).json;
          return view.waiting ? view : undefined;
        },
        20_000,
        50,
      );
      expect(waiting.waiting).toMatch(/^rate limit exceeded for tenant 'acme' on model 'scorer'; retry after [1-9][0-9]* s$/);
      expect(['queued', 'running']).toContain(waiting.state);
      // Meanwhile the tenant's sync calls draw from the same buckets, about 3 a second until the job
      // ends (a tight loop would take nearly every token and starve the job for minutes: live
      // traffic wins each token it asks for first).
      let syncServed = 0;
      let syncRefused = 0;
      let done = false;
      const sync = (async () => {
        while (!done) {
          const status = (await suite.call('POST', '/v2/models/scorer/infer', tokens.acme, probe)).status;
          if (status === 200) syncServed++;
          else if (status === 429) syncRefused++;
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
      })();
      const job = await finished('acme', submitted.json.id, 60_000).finally(() => (done = true));
      await sync;
      const seconds = (Date.now() - started) / 1000;
      process.stdout.write(`30-row job at 5 rows/s: ${seconds.toFixed(1)} s; sync calls meanwhile: ${syncServed} served, ${syncRefused} refused\n`);
      expect(job).toMatchObject({ state: 'completed', processed: 30, failed: 0, waiting: null });
      // 30 tokens at 5 a second from an emptied bucket: no faster than the quota allows.
      expect(seconds).toBeGreaterThanOrEqual(4);
      // One budget: the job's rows and the sync calls together took no more than the bucket gave
      // (its burst, then 5 a second), give or take a token at either end.
      expect(30 + syncServed).toBeLessThanOrEqual(5 + 5 * seconds + 2);
      expect(syncServed + syncRefused).toBeGreaterThan(0);
      expect(await auditOfJob(submitted.json.id)).toEqual([{ rows: 30, events: 30, protocols: 'batch', served: 'ae', pools: 'cpu.ae', residency: 'ae' }]);
    } finally {
      await suite.call('DELETE', '/admin/tenants/acme/quota', admin);
    }
  }, 120_000);

  it("refuses an explicit load of an ae tenant's version onto the eu pool, saying why, and no eu worker loads it", async () => {
    expect((await suite.call('POST', '/admin/models/scorer/versions', tokens.acme, readFileSync(MODEL), octet)).json.version).toBe(2);
    const refused = await suite.call('POST', '/admin/models/scorer/versions/2/load', tokens.acme, { pool: 'cpu.eu' });
    expect(refused.status).toBe(409);
    expect(refused.json.error).toBe("cannot load version 2 on pool cpu.eu: residency: tenant 'acme' data stays only in 'ae', not in 'eu'");
    // Without a pool the command goes to every worker: the ae worker loads it, the eu worker refuses it.
    expect((await suite.call('POST', '/admin/models/scorer/versions/2/load', tokens.acme, {})).status).toBe(202);
    await eventually(
      'version 2 ready on the ae worker',
      async () => ((await workerStatus('ae')).models.some((m) => m.tenantId === 'acme' && m.version === 2 && m.state === 'ready') ? true : undefined),
      60_000,
    );
    expect((await workerStatus('eu')).models.filter((m) => m.tenantId === 'acme')).toEqual([]);
    // The load state says the same: ready in cpu.ae, unloaded on the eu pool's worker.
    // (The registry reads it from the workers' heartbeats, a second apart: it may lag the worker's own status.)
    const states = await eventually(
      'the load state from the heartbeats',
      async () => {
        const status = (await suite.call('GET', '/admin/models/scorer/versions/2/status', tokens.acme)).json;
        const pools = status.pools.map((p: { pool: string; state: string }) => [p.pool, p.state]) as string[][];
        return pools.some(([pool, state]) => pool === 'cpu.ae' && state === 'ready') ? pools : undefined;
      },
      10_000,
    );
    expect(states).toEqual([
      ['cpu.ae', 'ready'],
      ['cpu.eu', 'unloaded'],
    ]);
  }, 120_000);

  it('refuses the calls and jobs of a region without an audit store, and audits them nowhere', async () => {
    // usco is bound to `us`, which has no store: refused before its model is even looked up.
    const call = { id: 'us-call', inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: rowOf(1) }] };
    const refused = await suite.call('POST', '/v2/models/scorer/infer', tokens.usco, call);
    expect(refused.status).toBe(503);
    expect(refused.json.error).toBe("region 'us' has no audit store configured: its calls are refused rather than audited in another region");
    const job = await suite.call('POST', '/v2/batch/jobs?model=scorer', tokens.usco, body(3), ndjson);
    expect(job.status).toBe(503);
    expect(job.json.error).toMatch(/^region "us" has no audit store configured/);
    // The refused call's audit event goes nowhere a region store would keep it.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const sql = `SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = 'usco'`;
    expect(await suite.query(sql)).toEqual([{ n: 0 }]);
    for (const region of REGIONS) expect(await suite.queryRegion(region, sql)).toEqual([{ n: 0 }]);
  }, 60_000);

  it("sends each region's audit events on its own topic, and lands them only in its own store", async () => {
    const call = (id: string) => ({ id, inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: rowOf(2) }] });
    const sent: Record<'ae' | 'eu', string[]> = { ae: [], eu: [] };
    for (const [tenant, region] of [
      ['acme', 'ae'],
      ['euco', 'eu'],
    ] as const) {
      for (let i = 0; i < 3; i++) {
        const answered = await suite.call('POST', '/v2/models/scorer/infer', tokens[tenant], call(`${tenant}-topic-${i}`));
        expect(answered.status).toBe(200);
        sent[region].push(answered.headers.get('x-request-id')!);
      }
    }
    const onTopics = await auditEventsOn(suite.prefix, [auditTopic(suite.prefix), regionAuditTopic(suite.prefix, 'ae'), regionAuditTopic(suite.prefix, 'eu')]);
    for (const region of REGIONS) {
      const own = onTopics.get(regionAuditTopic(suite.prefix, region)) ?? [];
      expect(
        own
          .filter((e) => sent[region].includes(e.requestId))
          .map((e) => e.requestId)
          .sort(),
      ).toEqual([...sent[region]].sort());
      // Nothing of another region on it, and none of these calls on the shared topic.
      expect(new Set(own.map((e) => e.residencyRegion))).toEqual(new Set([region]));
    }
    const shared = (onTopics.get(auditTopic(suite.prefix)) ?? []).map((e) => e.requestId);
    expect(shared.filter((id) => [...sent.ae, ...sent.eu].includes(id))).toEqual([]);
    for (const region of REGIONS) {
      const other = REGIONS.find((r) => r !== region)!;
      await eventually(
        `${region}'s calls in its store`,
        async () => {
          const rows = await suite.queryRegion<{ n: number }>(region, `SELECT count(*)::int AS n FROM audit_log WHERE request_id = ANY($1)`, [sent[region]]);
          return rows[0].n === sent[region].length ? true : undefined;
        },
        30_000,
      );
      expect(await suite.queryRegion(other, `SELECT count(*)::int AS n FROM audit_log WHERE request_id = ANY($1)`, [sent[region]])).toEqual([{ n: 0 }]);
    }
    expect(await suite.query(`SELECT count(*)::int AS n FROM audit_log WHERE request_id = ANY($1)`, [[...sent.ae, ...sent.eu]])).toEqual([{ n: 0 }]);
  }, 90_000);
});

/** The audit events on each topic, read from the beginning to each partition's end. */
async function auditEventsOn(prefix: string, topics: string[]): Promise<Map<string, { requestId: string; residencyRegion: string }[]>> {
  const kafka = testKafka('e2e-audit-topics');
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, number>();
  const existing = new Set(await admin.listTopics());
  for (const topic of topics.filter((t) => existing.has(t))) {
    for (const p of await admin.fetchTopicOffsets(topic)) if (Number(p.high) > Number(p.low)) ends.set(`${topic}/${p.partition}`, Number(p.high));
  }
  await admin.disconnect();
  const found = new Map<string, { requestId: string; residencyRegion: string }[]>();
  const seen = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: `${prefix}-audit-topics-${Date.now()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: topics.filter((t) => existing.has(t)), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const event = JSON.parse(message.value!.toString()) as { requestId: string; residencyRegion: string };
        (found.get(topic) ?? found.set(topic, []).get(topic)!).push(event);
        seen.set(`${topic}/${partition}`, Number(message.offset) + 1);
      },
    });
    await eventually('every audit topic read to its end', async () => ([...ends].every(([tp, end]) => (seen.get(tp) ?? 0) >= end) ? true : undefined), 60_000);
  } finally {
    await consumer.disconnect();
  }
  return found;
}
