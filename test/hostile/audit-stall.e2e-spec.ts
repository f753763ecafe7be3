import type { Consumer, KafkaMessage, Producer } from 'kafkajs';
import { SCOPES } from '@falaj/auth';
import { QUARANTINE_HEADERS, auditEventOf, auditTopic, quarantineTopic } from '@falaj/contracts';
import { FalajSuite, eventually, testKafka } from '@falaj/testing';
import { offsetModel } from '../support/onnx-fixtures';

/**
 * Issue 11, item 1, on the five built apps with real Postgres, Kafka and Redis: one call on a
 * model named `%00` used to put a NUL into an audit event, Postgres refused the batch insert,
 * and the registry retried that batch forever, so every later call on its partition went
 * unaudited. Here the attack, then ordinary calls: each of them gets its audit row, the hostile
 * 404s are audited too (their names escaped), the registry stays ready, and a record Postgres
 * refuses that is produced straight to the audit topic is quarantined with its reason while the
 * records after it on its partition are written.
 */
const NORMAL_CALLS = 30;

interface AuditRow {
  request_id: string;
  model: string;
  status: number;
}

describe('audit stall by one byte (e2e)', () => {
  const suite = new FalajSuite();
  const kafka = testKafka('e2e-audit-stall');
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  const audit = auditTopic(suite.prefix);
  const quarantined: KafkaMessage[] = [];
  let reader: Consumer;
  let token: string;

  const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] });
  const infer = (model: string, requestId: string) =>
    fetch(`${suite.gatewayUrl}/v2/models/${model}/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-request-id': requestId },
      body,
    });
  const rowsOf = (requestIds: string[]) => suite.query<AuditRow>(`SELECT request_id, model, status FROM audit_log WHERE tenant_id = 'acme' AND request_id = ANY($1)`, [requestIds]);
  /** Polls until every request id has its row; the deadline is the failure. */
  const allAudited = (requestIds: string[], timeoutMs = 60_000) =>
    eventually(
      `audit rows of ${requestIds.length} calls`,
      async () => {
        const rows = await rowsOf(requestIds);
        return rows.length === requestIds.length ? new Map(rows.map((r) => [r.request_id, r])) : undefined;
      },
      timeoutMs,
      250,
    );
  const registryReadiness = async () => {
    const response = await fetch(`${suite.appUrl('registry')}/health/ready`);
    return { status: response.status, body: (await response.json()) as { ready: boolean; checks: Record<string, Record<string, unknown>> } };
  };
  const normalCalls = async (tag: string) => {
    const ids = Array.from({ length: NORMAL_CALLS }, (_, i) => `${tag}-${i}`);
    const statuses = await Promise.all(ids.map(async (id) => (await infer('scorer', id)).status));
    expect(statuses).toEqual(ids.map(() => 200));
    return ids;
  };

  beforeAll(async () => {
    await suite.start();
    const admin = await suite.platformAdminToken();
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'acme', name: 'Acme', residency: 'ae' })).status).toBe(201);
    token = await suite.token({ tenantId: 'acme', subject: 'svc', scopes: [SCOPES.infer, SCOPES.modelsRead, SCOPES.modelsWrite, SCOPES.auditRead] });
    expect((await suite.call('POST', '/admin/models', token, { name: 'scorer' })).status).toBe(201);
    expect((await suite.call('POST', '/admin/models/scorer/versions', token, offsetModel(0), { 'content-type': 'application/octet-stream' })).status).toBe(201);
    expect((await suite.call('POST', '/admin/models/scorer/versions/1/stage', token, { stage: 'production' })).status).toBe(200);
    await eventually('scorer ready', async () => ((await suite.call('GET', '/v2/models/scorer/ready', token)).status === 200 ? true : undefined), 90_000);

    await producer.connect();
    reader = kafka.consumer({ groupId: `${suite.prefix}-e2e-audit-quarantine` });
    await reader.connect();
    await reader.subscribe({ topic: quarantineTopic(audit), fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void quarantined.push(message) });
  }, 240_000);

  afterAll(async () => {
    await reader?.disconnect();
    await producer.disconnect();
    await suite.stop();
  }, 60_000);

  it('audits every call after hostile model names, the 404s included with their names escaped, and stays ready', async () => {
    // Names as they arrive in the URL; Fastify decodes them before the gateway sees them.
    const hostile: { path: string; recorded: string | RegExp }[] = [
      { path: '%00', recorded: '\\u0000' },
      { path: '%00%00abc', recorded: '\\u0000\\u0000abc' },
      { path: '%1B%5B31mred', recorded: '\\u001b[31mred' },
      { path: 'a%0D%0Aforged', recorded: 'a\\u000d\\u000aforged' },
      // 30 NULs escape to 180 characters: cut to the column's 128, at an escape's boundary.
      { path: '%00'.repeat(30), recorded: /^(\\u0000){21}\u2026$/ },
    ];
    const hostileIds = hostile.map((_, i) => `hostile-${i}`);
    for (const [i, { path }] of hostile.entries()) {
      const response = await infer(path, hostileIds[i]);
      expect(response.status).toBe(404);
    }
    // Names Fastify refuses before any route runs (over its 100-character parameter limit; a lone
    // surrogate's bytes, which decode to nothing): no model was asked for, so nothing to audit.
    // A lone surrogate reaches the audit only from a producer (the direct records below).
    for (const path of ['a'.repeat(10_240), '%ED%A0%80', '%C0%80']) {
      const { status } = await infer(path, 'hostile-refused');
      expect(status >= 400 && status < 500).toBe(true);
    }
    // A 10 kB client request id on a good call: recorded cut to its column.
    const longId = `long-${'r'.repeat(10_240)}`;
    expect((await infer('scorer', longId)).status).toBe(200);

    const normal = await normalCalls('after-hostile');
    const rows = await allAudited([...normal, ...hostileIds]);
    for (const [i, { recorded }] of hostile.entries()) {
      const row = rows.get(hostileIds[i])!;
      expect(row.status).toBe(404);
      if (typeof recorded === 'string') expect(row.model).toBe(recorded);
      else expect(row.model).toMatch(recorded);
    }
    for (const id of normal) expect(rows.get(id)).toMatchObject({ model: 'scorer', status: 200 });
    const [long] = await suite.query<AuditRow>(`SELECT request_id FROM audit_log WHERE request_id LIKE 'long-r%'`);
    expect(long.request_id).toBe(`${longId.slice(0, 199)}\u2026`);

    const ready = await registryReadiness();
    expect(ready.status).toBe(200);
    expect(ready.body.checks.auditConsumer).toMatchObject({ ok: true, running: true, retryingSince: null, quarantined: 0 });
  }, 120_000);

  it('quarantines records produced straight to the audit topic that it cannot store, with the reason, and writes the later ones', async () => {
    const event = (requestId: string) =>
      auditEventOf({ requestId, tenantId: 'acme', subject: 'svc', residency: 'ae', model: 'scorer', version: 1, pool: 'cpu.ae', protocol: 'rest', status: 200, error: null, latencyMs: 1 });
    // Valid to the event schema, refused by Postgres (there is no year 0): only the insert finds it.
    const yearZero = { ...event('direct-year-zero'), occurredAt: '0000-01-01T00:00:00.000Z' };
    // A NUL where the platform's own text goes: refused by the schema on receipt.
    const nulTenant = { ...event('direct-nul-tenant'), tenantId: 'ac\u0000me' };
    // A NUL and a lone surrogate where outside text goes, as an older producer sent them: escaped.
    const rawModel = { ...event('direct-raw-model'), model: '\u0000\udc00' };
    const later = Array.from({ length: 5 }, (_, i) => event(`direct-later-${i}`));
    // One key, so one partition: the later records queue behind the bad ones.
    await producer.send({
      topic: audit,
      messages: [yearZero, nulTenant, rawModel, ...later].map((value) => ({ key: 'same-partition', value: JSON.stringify(value), headers: { tenant: 'acme' } })),
    });
    const normal = await normalCalls('after-direct');

    const rows = await allAudited([...normal, ...later.map((e) => e.requestId), rawModel.requestId]);
    expect(rows.get(rawModel.requestId)!.model).toBe('\\u0000\\udc00');
    expect(await rowsOf([yearZero.requestId])).toEqual([]);

    const reasons = await eventually('both records quarantined', async () => {
      const byRequest = new Map(quarantined.map((m) => [JSON.parse(m.value!.toString()).requestId as string, m]));
      const found = [yearZero.requestId, nulTenant.requestId].map((id) => byRequest.get(id));
      return found.every(Boolean) ? (found as KafkaMessage[]) : undefined;
    });
    const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();
    expect(header(reasons[0], QUARANTINE_HEADERS.kind)).toBe('rejected');
    expect(header(reasons[0], QUARANTINE_HEADERS.reason)).toMatch(/^postgres 22008: date\/time field value out of range/);
    expect(header(reasons[1], QUARANTINE_HEADERS.kind)).toBe('invalid');
    expect(header(reasons[1], QUARANTINE_HEADERS.reason)).toMatch(/^invalid: tenantId: text Postgres cannot store/);
    for (const m of reasons) {
      expect(header(m, QUARANTINE_HEADERS.topic)).toBe(audit);
      expect(header(m, QUARANTINE_HEADERS.offset)).toMatch(/^\d+$/);
    }
    // The original bytes, NUL escape and all.
    expect(JSON.parse(reasons[1].value!.toString())).toEqual(nulTenant);

    const ready = await registryReadiness();
    expect(ready.status).toBe(200);
    expect(ready.body.checks.auditConsumer).toMatchObject({ ok: true, running: true, retryingSince: null, quarantined: 2 });
  }, 120_000);
});
