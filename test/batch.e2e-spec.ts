import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { FalajSuite, eventually } from '@falaj/testing';

/**
 * Batch jobs and async inference over real Postgres (the job records), Redis (BullMQ) and two
 * real CPU workers, through the gateway's HTTP API as a user calls it.
 */
const MODEL = join(__dirname, '..', 'models', 'tiny-mlp.onnx');

interface ResultLine {
  index: number;
  state: string;
  status: number;
  output?: { outputs: { data: number[] }[] };
  error?: string;
}

const rowOf = (i: number) => [((i * 7) % 13) / 3, (i % 5) - 2, ((i * 3) % 11) / 4, i % 2];
const ndjson = (rows: unknown[]) => Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

describe('batch jobs and async inference (e2e)', () => {
  const suite = new FalajSuite();
  let token: string;
  let expected: Float32Array;

  const submit = (rows: unknown[], query = '') => suite.call('POST', `/v2/batch/jobs?model=tiny-mlp${query}`, token, ndjson(rows), { 'content-type': 'application/x-ndjson' });
  const results = async (id: string): Promise<ResultLine[]> => {
    const { text } = await suite.call('GET', `/v2/batch/jobs/${id}/results`, token);
    return text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
  };
  const finished = (id: string, timeoutMs = 180_000) =>
    eventually(
      `job ${id} finished`,
      async () => {
        const job = (await suite.call('GET', `/v2/batch/jobs/${id}`, token)).json;
        return ['completed', 'failed', 'cancelled'].includes(job.state) ? job : undefined;
      },
      timeoutMs,
      250,
    );

  beforeAll(async () => {
    await suite.start({
      cpuWorkers: 2,
      env: { registry: { FALAJ_BATCH_LOCK_MS: '3000', FALAJ_BATCH_CONCURRENCY: '2' } },
    });
    const admin = await suite.platformAdminToken();
    await suite.call('POST', '/admin/tenants', admin, { id: 'acme', name: 'Acme', residency: 'ae' });
    token = await suite.token({ tenantId: 'acme', subject: 'batcher', scopes: ['infer', 'models:write', 'models:read'] });
    await suite.call('POST', '/admin/models', token, { name: 'tiny-mlp' });
    await suite.call('POST', '/admin/models/tiny-mlp/versions', token, readFileSync(MODEL), { 'content-type': 'application/octet-stream' });
    await suite.call('POST', '/admin/models/tiny-mlp/versions/1/stage', token, { stage: 'production' });
    await eventually('model ready', async () => ((await suite.call('GET', '/v2/models/tiny-mlp/ready', token)).status === 200 ? true : undefined));
    const session = await InferenceSession.create(MODEL);
    const all = Float32Array.from(Array.from({ length: 10_000 }, (_, i) => rowOf(i)).flat());
    expected = (await session.run({ input: new Tensor('float32', all, [10_000, 4]) })).probabilities.data as Float32Array;
    await session.release();
  }, 120_000);

  afterAll(async () => {
    await suite.stop();
  }, 60_000);

  const expectRowsCorrect = (lines: ResultLine[], count: number) => {
    expect(lines.map((l) => l.index)).toEqual(Array.from({ length: count }, (_, i) => i));
    for (const line of lines) {
      expect(line.state).toBe('done');
      const got = line.output!.outputs[0].data;
      for (let k = 0; k < 3; k++) expect(got[k]).toBeCloseTo(expected[line.index * 3 + k], 5);
    }
  };

  it('runs a 10,000-row job and returns every answer, correct and in input order', async () => {
    const started = Date.now();
    const submitted = await submit(
      Array.from({ length: 10_000 }, (_, i) => rowOf(i)),
      '&chunkSize=250',
    );
    expect(submitted.status).toBe(201);
    expect(submitted.headers.get('location')).toBe(`/v2/batch/jobs/${submitted.json.id}`);
    expect(submitted.json).toMatchObject({ state: 'queued', total: 10_000, model: 'tiny-mlp', version: 1 });
    const job = await finished(submitted.json.id);
    const seconds = (Date.now() - started) / 1000;
    console.log(`10,000-row batch job in ${seconds.toFixed(1)} s (${Math.round(10_000 / seconds)} rows/s end to end)`);
    expect(job).toMatchObject({ state: 'completed', processed: 10_000, failed: 0, etaSeconds: 0 });
    expectRowsCorrect(await results(submitted.json.id), 10_000);
    // The registry's /metrics (operators): every row counted as a call with protocol "batch"
    // (a chunk run again after a lost lock counts its rows again, never fewer), its 40 chunks ended in BullMQ.
    const operator = await suite.token({ tenantId: '_platform', subject: 'ops', scopes: ['workers:read'] });
    const metrics = await (await fetch(`${suite.registryUrl}/metrics`, { headers: { authorization: `Bearer ${operator}` } })).text();
    const rows = Number(/^falaj_inference_requests_total\{tenant="acme",model="tiny-mlp",version="1",pool="[^"]+",protocol="batch",outcome="success"\} (\d+)$/m.exec(metrics)?.[1]);
    expect(rows).toBeGreaterThanOrEqual(10_000);
    expect(Number(/^falaj_queue_jobs\{queue="[^"]+",state="completed"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(40);
    expect(metrics).toMatch(/^falaj_queue_jobs\{queue="[^"]+",state="waiting"\} 0$/m);
  }, 240_000);

  it('reports bad rows by index and reason without failing the job', async () => {
    const submitted = await submit([rowOf(0), [1, 2, 3], 'oops', rowOf(3)]);
    const job = await finished(submitted.json.id);
    expect(job).toMatchObject({ state: 'completed', total: 4, processed: 4, failed: 2 });
    const lines = await results(submitted.json.id);
    expect(lines.map((l) => [l.index, l.state, l.status])).toEqual([
      [0, 'done', 200],
      [1, 'failed', 400],
      [2, 'failed', 400],
      [3, 'done', 200],
    ]);
    expect(lines[1].error).toMatch(/shape \[1,3\] does not match/);
  }, 60_000);

  it('refuses a fail-fast job with a bad row, naming the row, and creates nothing', async () => {
    const refused = await submit([rowOf(0), [1, 2]], '&failFast=true');
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatch(/^row 1: /);
    expect(await suite.query(`SELECT count(*)::int AS n FROM batch_jobs WHERE fail_fast`)).toEqual([{ n: 0 }]);
  });

  it("answers 404 for an unknown model and another tenant's job", async () => {
    expect((await suite.call('POST', '/v2/batch/jobs?model=ghost', token, ndjson([[1]]), { 'content-type': 'application/x-ndjson' })).status).toBe(404);
    const admin = await suite.platformAdminToken();
    await suite.call('POST', '/admin/tenants', admin, { id: 'globex', name: 'Globex', residency: 'ae' });
    const other = await suite.token({ tenantId: 'globex', subject: 'x', scopes: ['infer'] });
    const [{ id }] = await suite.query<{ id: string }>('SELECT id FROM batch_jobs LIMIT 1');
    expect((await suite.call('GET', `/v2/batch/jobs/${id}`, other)).status).toBe(404);
    expect((await suite.call('GET', `/v2/batch/jobs/not-a-uuid`, token)).status).toBe(400);
  });

  it('finishes a job whose worker is killed mid-job, with no row lost or answered twice', async () => {
    const submitted = await submit(
      Array.from({ length: 6000 }, (_, i) => rowOf(i)),
      '&chunkSize=100',
    );
    await eventually('job under way', async () => ((await suite.call('GET', `/v2/batch/jobs/${submitted.json.id}`, token)).json.processed > 300 ? true : undefined), 60_000, 50);
    await suite.app('cpu-worker-2').kill();
    const job = await finished(submitted.json.id);
    expect(job).toMatchObject({ state: 'completed', processed: 6000, failed: 0 });
    expectRowsCorrect(await results(submitted.json.id), 6000);
    suite.app('cpu-worker-2').start();
    await suite.app('cpu-worker-2').waitHealthy();
  }, 240_000);

  it('recovers a job from Postgres when Redis loses everything mid-job', async () => {
    const submitted = await submit(
      Array.from({ length: 6000 }, (_, i) => rowOf(i)),
      '&chunkSize=100&priority=5',
    );
    await eventually('job under way', async () => ((await suite.call('GET', `/v2/batch/jobs/${submitted.json.id}`, token)).json.processed > 300 ? true : undefined), 60_000, 50);
    await suite.flushRedis();
    const job = await finished(submitted.json.id);
    expect(job).toMatchObject({ state: 'completed', processed: 6000, failed: 0 });
    expectRowsCorrect(await results(submitted.json.id), 6000);
  }, 240_000);

  it('streams progress as server-sent events until the job ends', async () => {
    const submitted = await submit(
      Array.from({ length: 2000 }, (_, i) => rowOf(i)),
      '&chunkSize=50',
    );
    const { text, headers } = await suite.call('GET', `/v2/batch/jobs/${submitted.json.id}/events`, token);
    expect(headers.get('content-type')).toContain('text/event-stream');
    const events = text
      .trim()
      .split('\n\n')
      .map((e) => JSON.parse(e.split('\n')[1].slice('data: '.length)));
    expect(events.at(-1)).toMatchObject({ state: 'completed', processed: 2000 });
    expect(events.length).toBeGreaterThan(1);
  }, 120_000);

  it('cancels a job', async () => {
    const submitted = await submit(
      Array.from({ length: 5000 }, (_, i) => rowOf(i)),
      '&chunkSize=10&priority=1000',
    );
    const cancelled = await suite.call('DELETE', `/v2/batch/jobs/${submitted.json.id}`, token);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.state).toBe('cancelled');
    expect((await suite.call('DELETE', `/v2/batch/jobs/${submitted.json.id}`, token)).status).toBe(409);
    const after = (await suite.call('GET', `/v2/batch/jobs/${submitted.json.id}`, token)).json;
    expect(after.processed).toBeLessThan(5000);
  }, 60_000);

  it('serves a high-priority job ahead of a large low-priority one', async () => {
    const low = await submit(
      Array.from({ length: 4000 }, (_, i) => rowOf(i)),
      '&chunkSize=10&priority=1000',
    );
    const high = await submit(
      Array.from({ length: 40 }, (_, i) => rowOf(i)),
      '&chunkSize=10&priority=1',
    );
    const done = await finished(high.json.id, 60_000);
    const lowNow = (await suite.call('GET', `/v2/batch/jobs/${low.json.id}`, token)).json;
    expect(done.state).toBe('completed');
    expect(lowNow.processed).toBeLessThan(4000);
    await finished(low.json.id);
  }, 180_000);

  it('takes the rows as an uploaded file too', async () => {
    const form = new FormData();
    form.append('file', new Blob([ndjson([rowOf(1), rowOf(2)])]), 'rows.ndjson');
    const submitted = await suite.call('POST', '/v2/batch/jobs?model=tiny-mlp', token, form);
    expect(submitted.status).toBe(201);
    expect(await finished(submitted.json.id)).toMatchObject({ state: 'completed', processed: 2 });
  }, 60_000);

  it('answers `Prefer: respond-async` with 202 and a Location that yields the inference', async () => {
    const body = { id: 'async-1', inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: rowOf(42) }] };
    const accepted = await suite.call('POST', '/v2/models/tiny-mlp/infer', token, body, { prefer: 'respond-async' });
    expect(accepted.status).toBe(202);
    const location = accepted.headers.get('location')!;
    expect(location).toMatch(/^\/v2\/async\/jobs\/[0-9a-f-]{36}$/);
    const done = await eventually(
      'async answer',
      async () => {
        const polled = await suite.call('GET', location, token);
        return polled.status === 200 ? polled : undefined;
      },
      60_000,
      100,
    );
    const sync = await suite.call('POST', '/v2/models/tiny-mlp/infer', token, body);
    expect(done.json).toEqual(sync.json);
    const bad = await suite.call('POST', '/v2/models/tiny-mlp/infer', token, { inputs: [] }, { prefer: 'respond-async' });
    expect(bad.status).toBe(400);
  }, 90_000);

  it("lists the tenant's batch jobs newest first, a page at a time, and another tenant's none", async () => {
    const page = async (caller: string, query: string) => {
      const answer = await suite.call('GET', `/v2/batch/jobs${query}`, caller);
      expect(answer.status).toBe(200);
      return answer.json as { jobs: { id: string; kind: string; state: string }[]; nextCursor: string | null };
    };
    const newestFirst = await suite.query<{ id: string; state: string }>(`SELECT id, state FROM batch_jobs WHERE tenant_id = 'acme' AND kind = 'batch' ORDER BY created_at DESC, id DESC`);
    expect(newestFirst.length).toBeGreaterThan(5);
    const seen: string[] = [];
    let pages = 0;
    for (let cursor: string | null = null; ;) {
      pages++;
      const { jobs, nextCursor }: { jobs: { id: string; kind: string }[]; nextCursor: string | null } = await page(token, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(jobs.length).toBeLessThanOrEqual(3);
      expect(jobs.every((j) => j.kind === 'batch')).toBe(true);
      seen.push(...jobs.map((j) => j.id));
      if (!nextCursor) break;
      cursor = nextCursor;
    }
    // Every job once, in order, none of the async ones; pages of 3.
    expect(seen).toEqual(newestFirst.map((j) => j.id));
    expect(pages).toBe(Math.ceil(newestFirst.length / 3));
    const completed = await page(token, '?state=completed&limit=100');
    expect(completed.jobs.map((j) => j.id)).toEqual(newestFirst.filter((j) => j.state === 'completed').map((j) => j.id));
    expect(completed.jobs.length).toBeGreaterThan(0);

    const admin = await suite.platformAdminToken();
    await suite.call('POST', '/admin/tenants', admin, { id: 'globex', name: 'Globex', residency: 'ae' }); // 409 if the 404 test made it
    const other = await suite.token({ tenantId: 'globex', subject: 'x', scopes: ['infer'] });
    expect(await page(other, '')).toEqual({ jobs: [], nextCursor: null });
    // Acme's cursor gives globex nothing either (the cursor job is looked up in the caller's tenant).
    expect(await page(other, `?cursor=${newestFirst[0].id}`)).toEqual({ jobs: [], nextCursor: null });
    for (const bad of ['?limit=101', '?limit=0', '?cursor=nope', '?state=everything', '?tenant=acme']) {
      expect((await suite.call('GET', `/v2/batch/jobs${bad}`, token)).status).toBe(400);
    }
  }, 60_000);
});
