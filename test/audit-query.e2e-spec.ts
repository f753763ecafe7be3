import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCOPES } from '@falaj/auth';
import { FalajSuite, eventually } from '@falaj/testing';

/**
 * The audit query API through the gateway, against the five built apps: two tenants make calls
 * (the same request ids among them), each reads its own audit log page by page and as NDJSON and
 * CSV exports and nothing of the other's, and the platform admin reads both.
 */
const MODEL = join(__dirname, '..', 'models', 'tiny-mlp.onnx');
const BODY = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] };
const CALLS = { acme: { ok: 23, missing: 4 }, globex: { ok: 11, missing: 3 } } as const;
type TenantId = keyof typeof CALLS;

interface Row {
  eventId: string;
  requestId: string;
  tenantId: string;
  model: string;
  status: number;
  protocol: string;
  occurredAt: string;
}

describe('audit query API (e2e)', () => {
  const suite = new FalajSuite();
  const tokens = {} as Record<TenantId, string>;
  let admin: string;
  /** Each tenant's event ids, as Postgres holds them. */
  const stored = {} as Record<TenantId, string[]>;

  const audit = (token: string, query: Record<string, string> = {}) => suite.call('GET', `/admin/audit?${new URLSearchParams(query).toString()}`, token);
  /** Every page, following nextCursor. */
  const pages = async (token: string, query: Record<string, string>) => {
    const rows: Row[] = [];
    let count = 0;
    for (let cursor: string | null = null; ; count++) {
      const page = await audit(token, { ...query, ...(cursor ? { cursor } : {}) });
      expect(page.status).toBe(200);
      rows.push(...(page.json.records as Row[]));
      cursor = page.json.nextCursor as string | null;
      if (!cursor) return { rows, pages: count + 1 };
    }
  };
  const ids = (rows: { eventId: string }[]) => rows.map((r) => r.eventId).sort();

  beforeAll(async () => {
    await suite.start();
    admin = await suite.platformAdminToken();
    for (const tenant of Object.keys(CALLS) as TenantId[]) {
      expect((await suite.call('POST', '/admin/tenants', admin, { id: tenant, name: tenant, residency: 'ae' })).status).toBe(201);
      tokens[tenant] = await suite.token({ tenantId: tenant, subject: `${tenant}-app`, scopes: [SCOPES.infer, SCOPES.modelsWrite, SCOPES.auditRead] });
      expect((await suite.call('POST', '/admin/models', tokens[tenant], { name: 'scorer' })).status).toBe(201);
      expect((await suite.call('POST', '/admin/models/scorer/versions', tokens[tenant], readFileSync(MODEL), { 'content-type': 'application/octet-stream' })).status).toBe(201);
      expect((await suite.call('POST', '/admin/models/scorer/versions/1/stage', tokens[tenant], { stage: 'production' })).status).toBe(200);
    }
    for (const tenant of Object.keys(CALLS) as TenantId[]) {
      await eventually(`${tenant}'s scorer ready`, async () => ((await suite.call('GET', '/v2/models/scorer/ready', tokens[tenant])).status === 200 ? true : undefined), 90_000);
      // Both tenants use the same request ids: the client's, not a key.
      for (let i = 0; i < CALLS[tenant].ok; i++) expect((await suite.call('POST', '/v2/models/scorer/infer', tokens[tenant], BODY, { 'x-request-id': `call-${i}` })).status).toBe(200);
      for (let i = 0; i < CALLS[tenant].missing; i++) expect((await suite.call('POST', '/v2/models/absent/infer', tokens[tenant], BODY, { 'x-request-id': `miss-${i}` })).status).toBe(404);
    }
    for (const tenant of Object.keys(CALLS) as TenantId[]) {
      const expected = CALLS[tenant].ok + CALLS[tenant].missing;
      stored[tenant] = await eventually(
        `${tenant}'s ${expected} audit rows`,
        async () => {
          const rows = await suite.query<{ event_id: string }>(`SELECT event_id FROM audit_log WHERE tenant_id = $1`, [tenant]);
          return rows.length === expected ? rows.map((r) => r.event_id).sort() : undefined;
        },
        30_000,
      );
    }
  }, 240_000);

  afterAll(async () => {
    await suite.stop();
  }, 60_000);

  it('gives each tenant its own rows, every one once, page by page, newest first', async () => {
    for (const tenant of Object.keys(CALLS) as TenantId[]) {
      const { rows, pages: count } = await pages(tokens[tenant], { limit: '5' });
      expect(ids(rows)).toEqual(stored[tenant]);
      expect(rows.every((r) => r.tenantId === tenant)).toBe(true);
      expect(count).toBe(Math.ceil(stored[tenant].length / 5));
      expect([...rows].sort((a, b) => (a.occurredAt < b.occurredAt ? 1 : -1)).map((r) => r.occurredAt)).toEqual(rows.map((r) => r.occurredAt));
    }
  });

  it("filters by status (exact and class), model, request id and time, and never yields the other tenant's rows", async () => {
    const failed = await pages(tokens.acme, { status: '4xx', limit: '3' });
    expect(failed.rows).toHaveLength(CALLS.acme.missing);
    expect(failed.rows.every((r) => r.status === 404 && r.model === 'absent')).toBe(true);
    expect((await pages(tokens.acme, { status: '404', model: 'absent' })).rows).toHaveLength(CALLS.acme.missing);
    expect((await pages(tokens.globex, { status: '2xx', protocol: 'rest' })).rows).toHaveLength(CALLS.globex.ok);
    const shared = (await audit(tokens.globex, { requestId: 'call-0' })).json.records as Row[];
    expect(shared.map((r) => r.tenantId)).toEqual(['globex']);
    const all = (await pages(tokens.acme, { limit: '1000' })).rows;
    const [from, to] = [all[20].occurredAt, all[5].occurredAt];
    const window = (await pages(tokens.acme, { from, to, limit: '4' })).rows;
    expect(ids(window)).toEqual(ids(all.filter((r) => r.occurredAt >= from && r.occurredAt < to)));
  });

  it('refuses bad filters with a 400 naming the field, and another tenant with a 403', async () => {
    const refusals: [Record<string, string>, number, RegExp][] = [
      [{ from: 'last tuesday' }, 400, /^from: an ISO 8601/],
      [{ from: '2026-12-02', to: '2026-12-01' }, 400, /^from: must not be after to/],
      [{ status: '7xx' }, 400, /^status: an HTTP status \(404\) or a class/],
      [{ limit: '5000' }, 400, /^limit: at most 1000 a page/],
      [{ format: 'xlsx' }, 400, /^format: /],
      [{ cursor: 'not-a-cursor' }, 400, /^cursor: not a cursor of this query/],
      [{ tenant: 'globex' }, 403, /^tenant: a tenant's account reads only its own audit log \('acme'\), not 'globex'/],
    ];
    for (const [query, status, message] of refusals) {
      const answer = await audit(tokens.acme, query);
      expect({ query, status: answer.status }).toEqual({ query, status });
      expect(answer.json.error).toMatch(message);
    }
    expect((await audit(tokens.acme, { tenant: 'acme', limit: '1' })).status).toBe(200);
    const inferOnly = await suite.token({ tenantId: 'acme', scopes: [SCOPES.infer] });
    const refused = await audit(inferOnly);
    expect(refused.status).toBe(403);
    expect(refused.json.error).toBe('requires scope audit:read or platform:admin');
  });

  it('refuses a cursor altered, or given back with other filters or by the other tenant, with 400', async () => {
    const { nextCursor } = (await audit(tokens.acme, { limit: '2' })).json as { nextCursor: string };
    expect(nextCursor).toEqual(expect.any(String));
    expect((await audit(tokens.acme, { limit: '2', cursor: nextCursor })).status).toBe(200);
    expect((await audit(tokens.globex, { limit: '2', cursor: nextCursor })).status).toBe(400);
    expect((await audit(tokens.acme, { limit: '2', status: '2xx', cursor: nextCursor })).status).toBe(400);
    expect((await audit(admin, { limit: '2', cursor: nextCursor })).status).toBe(400);
    const altered = `${nextCursor.slice(0, 5)}${nextCursor[5] === 'x' ? 'y' : 'x'}${nextCursor.slice(6)}`;
    expect((await audit(tokens.acme, { limit: '2', cursor: altered })).status).toBe(400);
  });

  it("exports each tenant's rows as NDJSON and CSV, streamed, as attachments", async () => {
    for (const tenant of Object.keys(CALLS) as TenantId[]) {
      const ndjson = await audit(tokens[tenant], { format: 'ndjson' });
      expect(ndjson.status).toBe(200);
      expect(ndjson.headers.get('content-type')).toBe('application/x-ndjson');
      expect(ndjson.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="audit-${tenant}-\\d{8}T\\d{6}Z\\.ndjson"$`));
      const lines = ndjson.text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Row);
      expect(ids(lines)).toEqual(stored[tenant]);

      const csv = await audit(tokens[tenant], { format: 'csv', status: '404' });
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
      expect(csv.headers.get('content-disposition')).toMatch(/\.csv"$/);
      const [header, ...rows] = csv.text.trimEnd().split('\r\n');
      expect(header.split(',').slice(0, 4)).toEqual(['occurredAt', 'eventId', 'requestId', 'tenantId']);
      expect(rows).toHaveLength(CALLS[tenant].missing);
      expect(rows.every((r) => r.split(',')[3] === tenant && r.split(',')[10] === '404')).toBe(true);
    }
  });

  it('gives the platform admin every tenant, or the one it names, in pages and exports', async () => {
    const everyone = await pages(admin, { limit: '10' });
    expect(ids(everyone.rows)).toEqual([...stored.acme, ...stored.globex].sort());
    expect(ids((await pages(admin, { tenant: 'globex', limit: '4' })).rows)).toEqual(stored.globex);
    expect((await pages(admin, { tenant: 'nobody' })).rows).toEqual([]);
    const exported = await audit(admin, { format: 'ndjson', status: '5xx' });
    expect(exported.status).toBe(200);
    expect(exported.text).toBe('');
    const csv = await audit(admin, { format: 'csv' });
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-all-/);
    expect(csv.text.trimEnd().split('\r\n')).toHaveLength(1 + stored.acme.length + stored.globex.length);
  });
  // Last: it removes rows the tests above count.
  it("erases a subject's rows and named calls in its own tenant only, reports the counts and keeps a record without the subject", async () => {
    const eraser = await suite.token({ tenantId: 'acme', subject: 'acme-dpo', scopes: [SCOPES.auditErase, SCOPES.auditRead] });
    // A tenant's account cannot erase in another tenant, nor without the scope.
    expect((await suite.call('POST', '/admin/audit/erasure', eraser, { tenant: 'globex', requestIds: ['call-0'] })).status).toBe(403);
    expect((await suite.call('POST', '/admin/audit/erasure', tokens.acme, { requestIds: ['call-0'] })).status).toBe(403);
    expect((await suite.call('POST', '/admin/audit/erasure', eraser, {})).status).toBe(400);

    const byIds = await suite.call('POST', '/admin/audit/erasure', eraser, { requestIds: ['call-0', 'call-1', 'miss-0'] });
    expect(byIds.status).toBe(200);
    expect(byIds.json.counts).toMatchObject({ auditRows: 3 });
    expect((await pages(eraser, { requestId: 'call-0' })).rows).toEqual([]);
    // globex's calls of the same request ids are its own: untouched.
    expect((await pages(tokens.globex, { requestId: 'call-0' })).rows).toHaveLength(1);

    // The platform admin erases a subject, naming the tenant: every remaining row of acme's app.
    const subject = (await audit(tokens.acme, { limit: '1' })).json.records[0].subject as string;
    const bySubject = await suite.call('POST', '/admin/audit/erasure', admin, { tenant: 'acme', subject });
    expect(bySubject.status).toBe(200);
    expect(bySubject.json.counts.auditRows).toBe(CALLS.acme.ok + CALLS.acme.missing - 3);
    expect((await pages(admin, { tenant: 'acme' })).rows).toEqual([]);
    expect((await pages(admin, { tenant: 'globex' })).rows).toHaveLength(CALLS.globex.ok + CALLS.globex.missing);
    const records = await suite.query<{ subject_hash: string; requested_by: string }>(`SELECT subject_hash, requested_by FROM erasure_requests WHERE tenant_id = 'acme' ORDER BY requested_at`);
    expect(records).toHaveLength(2);
    expect(records[1].subject_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(records)).not.toContain(subject);
  });
});
