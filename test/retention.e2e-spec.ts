import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FalajSuite, eventually } from '@falaj/testing';

/**
 * Retention through the gateway, against the five built apps and real Postgres, Redis and
 * Kafka: two tenants with different retentions, real calls and jobs, some of them made old by
 * SQL, a pass triggered by the platform admin, and what each tenant can still read after it.
 */
const MODEL = join(__dirname, '..', 'models', 'tiny-mlp.onnx');
const BODY = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] };
const ROWS = Buffer.from([1, 2, 3].map((i) => JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [i, 0, 1, 2] }] })).join('\n') + '\n');
const ENDED = ['completed', 'failed', 'cancelled'];

describe('retention (e2e)', () => {
  const suite = new FalajSuite();
  let admin: string;
  const tokens: Record<string, string> = {};

  const infer = async (tenant: string, requestId: string) => expect((await suite.call('POST', '/v2/models/tiny-mlp/infer', tokens[tenant], BODY, { 'x-request-id': requestId })).status).toBe(200);
  const audited = async (tenant: string, requestId: string) => (await suite.call('GET', `/admin/audit?requestId=${requestId}`, tokens[tenant])).json.records as { requestId: string }[];
  const waitAudited = (tenant: string, requestId: string) => eventually(`audit row ${requestId}`, async () => ((await audited(tenant, requestId)).length === 1 ? true : undefined), 60_000);
  const submitJob = async (tenant: string): Promise<string> => {
    const submitted = await suite.call('POST', '/v2/batch/jobs?model=tiny-mlp', tokens[tenant], ROWS, { 'content-type': 'application/x-ndjson' });
    expect(submitted.status).toBe(201);
    const id = submitted.json.id as string;
    await eventually(`job ${id} ended`, async () => (ENDED.includes((await suite.call('GET', `/v2/batch/jobs/${id}`, tokens[tenant])).json.state) ? true : undefined), 120_000, 250);
    return id;
  };
  const backdateAudit = (requestId: string, days: number) => suite.query(`UPDATE audit_log SET occurred_at = now() - make_interval(days => $2) WHERE request_id = $1`, [requestId, days]);
  const backdateJob = (id: string, days: number) => suite.query(`UPDATE batch_jobs SET finished_at = now() - make_interval(days => $2) WHERE id = $1`, [id, days]);

  beforeAll(async () => {
    // No scheduled pass: the one under test is triggered through the API.
    await suite.start({ env: { registry: { FALAJ_RETENTION_INTERVAL_SECONDS: '0', FALAJ_AUDIT_RETENTION_DAYS: '400', FALAJ_JOB_RETENTION_DAYS: '30' } } });
    admin = await suite.platformAdminToken();
    // acme keeps audit rows 7 days (set at creation) and jobs the default 30; globex is set below.
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'acme', name: 'Acme', residency: 'ae', auditRetentionDays: 7 })).status).toBe(201);
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'globex', name: 'Globex', residency: 'ae' })).status).toBe(201);
    for (const tenant of ['acme', 'globex']) {
      tokens[tenant] = await suite.token({ tenantId: tenant, subject: 'ops', scopes: ['infer', 'models:read', 'models:write', 'audit:read'] });
      expect((await suite.call('POST', '/admin/models', tokens[tenant], { name: 'tiny-mlp' })).status).toBe(201);
      expect((await suite.call('POST', '/admin/models/tiny-mlp/versions', tokens[tenant], readFileSync(MODEL), { 'content-type': 'application/octet-stream' })).status).toBe(201);
      expect((await suite.call('POST', '/admin/models/tiny-mlp/versions/1/stage', tokens[tenant], { stage: 'production' })).status).toBe(200);
      await eventually(`${tenant} model ready`, async () => ((await suite.call('GET', '/v2/models/tiny-mlp/ready', tokens[tenant])).status === 200 ? true : undefined), 60_000);
    }
  }, 180_000);

  afterAll(async () => {
    await suite.stop();
  }, 60_000);

  describe('settings', () => {
    it("sets a tenant's retention by PUT and reads it back with the days that apply", async () => {
      const put = await suite.call('PUT', '/admin/tenants/globex/retention', admin, { auditRetentionDays: 30, jobRetentionDays: 5 });
      expect(put.status).toBe(200);
      expect(put.json).toEqual({ auditRetentionDays: 30, jobRetentionDays: 5, effective: { auditDays: 30, jobDays: 5 } });
      expect((await suite.call('GET', '/admin/tenants/acme/retention', admin)).json).toEqual({ auditRetentionDays: 7, jobRetentionDays: null, effective: { auditDays: 7, jobDays: 30 } });
    });

    it('refuses days out of 1..3650, unknown fields and unknown tenants with a clear 4xx, and a tenant setting its own', async () => {
      for (const body of [{ auditRetentionDays: 0 }, { jobRetentionDays: 3651 }, { auditRetentionDays: 1.5 }, { auditRetentionDays: '30' }, { keepForever: true }]) {
        const answer = await suite.call('PUT', '/admin/tenants/globex/retention', admin, body);
        expect([answer.status, typeof answer.json?.error]).toEqual([400, 'string']);
      }
      const created = await suite.call('POST', '/admin/tenants', admin, { id: 'initech', name: 'Initech', residency: 'ae', jobRetentionDays: 0 });
      expect(created.status).toBe(400);
      expect(created.json.error).toMatch(/jobRetentionDays/);
      expect((await suite.call('PUT', '/admin/tenants/nobody/retention', admin, { auditRetentionDays: 10 })).status).toBe(404);
      expect((await suite.call('PUT', '/admin/tenants/acme/retention', tokens.acme, { auditRetentionDays: 3650 })).status).toBe(403);
      expect((await suite.call('GET', '/admin/tenants/globex/retention', admin)).json.effective).toEqual({ auditDays: 30, jobDays: 5 });
    });
  });

  describe('a pass', () => {
    it("removes what expired under each tenant's retention and nothing else; expired jobs answer 410; the run is reported", async () => {
      await infer('acme', 'acme-old');
      await infer('acme', 'acme-new');
      await infer('globex', 'globex-old');
      for (const [tenant, id] of [
        ['acme', 'acme-old'],
        ['acme', 'acme-new'],
        ['globex', 'globex-old'],
      ])
        await waitAudited(tenant, id);
      const acmeJob = await submitJob('acme');
      const acmeFresh = await submitJob('acme');
      const globexJob = await submitJob('globex');
      const accepted = await suite.call('POST', '/v2/models/tiny-mlp/infer', tokens.acme, BODY, { prefer: 'respond-async' });
      const asyncLocation = accepted.headers.get('location')!;
      await eventually('async answered', async () => ((await suite.call('GET', asyncLocation, tokens.acme)).status === 200 ? true : undefined), 60_000, 100);

      // acme: audit 7 days, jobs 30. globex: audit 30 days, jobs 5.
      await backdateAudit('acme-old', 8);
      await backdateAudit('globex-old', 8);
      await backdateJob(acmeJob, 31);
      await backdateJob(asyncLocation.split('/').pop()!, 31);
      await backdateJob(acmeFresh, 29);
      await backdateJob(globexJob, 4);

      expect((await suite.call('POST', '/admin/retention/run', tokens.acme)).status).toBe(403);
      const pass = await suite.call('POST', '/admin/retention/run', admin);
      expect(pass.status).toBe(200);
      expect(pass.json).toMatchObject({ trigger: 'admin', state: 'completed', error: null });
      expect(pass.json.removed).toEqual(
        expect.arrayContaining([
          { tenantId: 'acme', kind: 'audit', rowsDeleted: 1, store: 'catalog' },
          { tenantId: 'acme', kind: 'jobs', rowsDeleted: 4, jobsExpired: 2, store: 'catalog' },
        ]),
      );
      expect(pass.json.removed).toHaveLength(2);

      expect(await audited('acme', 'acme-old')).toEqual([]);
      expect(await audited('acme', 'acme-new')).toHaveLength(1);
      expect(await audited('globex', 'globex-old')).toHaveLength(1);

      const gone = await suite.call('GET', `/v2/batch/jobs/${acmeJob}/results`, tokens.acme);
      expect(gone.status).toBe(410);
      expect(gone.json.error).toMatch(new RegExp(`^batch job '${acmeJob}' expired at .*: its inputs and results were deleted under its tenant's job retention$`));
      const record = await suite.call('GET', `/v2/batch/jobs/${acmeJob}`, tokens.acme);
      expect(record.status).toBe(200);
      expect(record.json).toMatchObject({ state: 'completed', total: 3, processed: 3 });
      expect(record.json.expiredAt).toEqual(expect.any(String));
      expect((await suite.call('GET', asyncLocation, tokens.acme)).status).toBe(410);
      // Another tenant's expired job is still none of globex's business: 404, not 410.
      expect((await suite.call('GET', `/v2/batch/jobs/${acmeJob}/results`, tokens.globex)).status).toBe(404);
      for (const [tenant, id] of [
        ['acme', acmeFresh],
        ['globex', globexJob],
      ] as const) {
        const kept = await suite.call('GET', `/v2/batch/jobs/${id}/results`, tokens[tenant]);
        expect(kept.status).toBe(200);
        expect(kept.text.trim().split('\n')).toHaveLength(3);
      }
      expect(await suite.query(`SELECT 1 FROM batch_rows WHERE job_id = $1`, [acmeJob])).toEqual([]);

      const runs = await suite.call('GET', '/admin/retention/runs?limit=5', admin);
      expect(runs.status).toBe(200);
      expect(runs.json.runs[0]).toMatchObject({ id: pass.json.id, state: 'completed', removed: pass.json.removed });
      expect((await suite.call('GET', '/admin/retention/runs', tokens.acme)).status).toBe(403);
      expect((await suite.call('GET', '/admin/retention/runs?limit=0', admin)).status).toBe(400);
    }, 300_000);
  });
});
