import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { FalajSuite, OipGrpcClient, TEST_KAFKA, eventually, freePorts } from '@falaj/testing';

/**
 * The audit never fails open silently (issue 14 item 2, issue 16 item 4), on the real stack.
 * The shared broker is never stopped: a second gateway is pointed at a Kafka address where nothing
 * listens, so for it Kafka is away. It stays ready and answers; its events wait in its spool, it
 * is killed -9, restarted on the same spool directory with the real broker, and every event of
 * the outage reaches Postgres once. A third gateway with a tiny spool (and no Kafka) fills it: a
 * must-audit tenant is refused with 503 (REST) and UNAVAILABLE (gRPC) before dispatch, while a
 * normal tenant is served and the dropped event counted in /metrics.
 */
const MODEL = join(__dirname, '..', 'models', 'tiny-mlp.onnx');
const BODY = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] };

describe('durable audit (e2e)', () => {
  const suite = new FalajSuite();
  /** A normal tenant's caller, and a must-audit tenant's. */
  let acme: string;
  let strict: string;
  let operator: string;
  let deadKafka: string;

  const callAt = async (app: string, path: string, token: string, requestId?: string, body: unknown = BODY, method = 'POST') => {
    const response = await fetch(`${suite.appUrl(app)}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(requestId ? { 'x-request-id': requestId } : {}) },
      body: method === 'GET' ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const json = response.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : undefined;
    return { status: response.status, headers: response.headers, text, json };
  };
  const infer = (app: string, token: string, requestId: string) => callAt(app, '/v2/models/tiny-mlp/infer', token, requestId);
  const readiness = async (app: string) => (await (await fetch(`${suite.appUrl(app)}/v2/health/ready`)).json()) as { ready: boolean; checks: Record<string, Record<string, unknown>> };
  const metric = async (app: string, line: RegExp) => {
    const text = (await callAt(app, '/metrics', operator, undefined, undefined, 'GET')).text;
    return Number(line.exec(text)?.[1] ?? 0);
  };
  const rowsOf = async (prefix: string) =>
    suite.query<{ request_id: string; n: number }>(`SELECT request_id, count(*)::int AS n FROM audit_log WHERE request_id LIKE $1 GROUP BY request_id`, [`${prefix}%`]);

  beforeAll(async () => {
    await suite.start();
    const admin = await suite.platformAdminToken();
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'acme', name: 'Acme', residency: 'ae' })).status).toBe(201);
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'strict', name: 'Strict', residency: 'ae' })).status).toBe(201);
    const policy = await suite.call('PUT', '/admin/tenants/strict/audit-policy', admin, { mustAudit: true });
    expect(policy.status).toBe(200);
    expect((await suite.call('GET', '/admin/tenants/strict/audit-policy', admin)).json).toEqual({ mustAudit: true });
    expect((await suite.call('PUT', '/admin/tenants/strict/audit-policy', admin, { mustAudit: 'yes' })).status).toBe(400);
    acme = await suite.token({ tenantId: 'acme', scopes: ['infer', 'models:write', 'models:read'] });
    strict = await suite.token({ tenantId: 'strict', scopes: ['infer', 'models:write', 'models:read'] });
    operator = await suite.token({ tenantId: '_platform', subject: 'ops', scopes: ['workers:read'] });
    for (const token of [acme, strict]) {
      await suite.call('POST', '/admin/models', token, { name: 'tiny-mlp' });
      expect((await suite.call('POST', '/admin/models/tiny-mlp/versions', token, readFileSync(MODEL), { 'content-type': 'application/octet-stream' })).status).toBe(201);
      await suite.call('POST', '/admin/models/tiny-mlp/versions/1/stage', token, { stage: 'production' });
      await eventually('model ready', async () => ((await suite.call('GET', '/v2/models/tiny-mlp/ready', token)).status === 200 ? true : undefined), 60_000);
    }
    // A port nothing listens on: Kafka, for the gateways that use it, is away.
    deadKafka = `127.0.0.1:${(await freePorts(1))[0]}`;
  }, 180_000);
  afterAll(() => suite.stop(), 60_000);

  it('serves a must-audit tenant through a healthy gateway, and its event reaches Postgres', async () => {
    expect((await suite.call('POST', '/v2/models/tiny-mlp/infer', strict, BODY, { 'x-request-id': 'healthy-strict-1' })).status).toBe(200);
    await eventually('its audit row', async () => ((await rowsOf('healthy-strict-')).length === 1 ? true : undefined), 30_000);
    const ready = await readiness('gateway');
    expect(ready.checks.kafka).toBeUndefined();
    expect(ready.checks.audit).toMatchObject({ ok: true, kafka: 'connected', mustAuditTenants: 1 });
  }, 60_000);

  it('keeps answering with Kafka away, and after a kill -9 and a restart on the same spool every event of the outage is stored once', async () => {
    const [grpcPort] = await freePorts(1);
    await suite.addApp('gateway-cut', 'gateway', { FALAJ_KAFKA_BROKERS: deadKafka, FALAJ_GRPC_PORT: String(grpcPort) });
    // Ready without Kafka: readiness says where Kafka is, and is ready all the same.
    const ready = await readiness('gateway-cut');
    expect(ready.ready).toBe(true);
    expect(String(ready.checks.audit.kafka)).toMatch(/^(away|connecting)/);
    await eventually('routes on gateway-cut', async () => ((await callAt('gateway-cut', '/v2/models/tiny-mlp/ready', acme, undefined, undefined, 'GET')).status === 200 ? true : undefined), 30_000);

    const ids = [...Array.from({ length: 30 }, (_, i) => ({ token: acme, id: `outage-acme-${i}` })), ...Array.from({ length: 5 }, (_, i) => ({ token: strict, id: `outage-strict-${i}` }))];
    const answers = await Promise.all(ids.map(({ token, id }) => infer('gateway-cut', token, id)));
    expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
    // On disk (a flush tick at most after the answers), and nowhere else: Kafka is away.
    await eventually('all spooled', async () => (Number((await readiness('gateway-cut')).checks.audit.spooledEvents) >= ids.length ? true : undefined), 10_000, 20);
    expect(await rowsOf('outage-')).toEqual([]);

    await suite.app('gateway-cut').kill();
    await suite.restartApp('gateway-cut', { FALAJ_KAFKA_BROKERS: TEST_KAFKA.brokers.join(',') });
    await eventually('every outage row', async () => ((await rowsOf('outage-')).length === ids.length ? true : undefined), 60_000, 250);
    const rows = await rowsOf('outage-');
    expect(rows.map((r) => r.request_id).sort()).toEqual(ids.map((i) => i.id).sort());
    expect(rows.every((r) => r.n === 1)).toBe(true);
    await eventually('spool emptied', async () => (Number((await readiness('gateway-cut')).checks.audit.spooledEvents) === 0 ? true : undefined), 30_000);
  }, 180_000);

  it('refuses a must-audit tenant with 503 (UNAVAILABLE on gRPC) when its event cannot be spooled, serves the others and counts their drops', async () => {
    const [grpcPort] = await freePorts(1);
    await suite.addApp('gateway-tiny', 'gateway', { FALAJ_KAFKA_BROKERS: deadKafka, FALAJ_GRPC_PORT: String(grpcPort), FALAJ_AUDIT_SPOOL_MAX_BYTES: String(64 * 1024) });
    await eventually('routes on gateway-tiny', async () => ((await callAt('gateway-tiny', '/v2/models/tiny-mlp/ready', acme, undefined, undefined, 'GET')).status === 200 ? true : undefined), 30_000);
    // Room at first: the must-audit tenant is served (its event on disk before the answer).
    expect((await infer('gateway-tiny', strict, 'tiny-strict-ok')).status).toBe(200);

    const dropped = /^falaj_gateway_audit_dropped_total\{reason="spool_full"\} (\d+)$/m;
    let n = 0;
    await eventually(
      'a full spool',
      async () => {
        const batch = await Promise.all(Array.from({ length: 20 }, () => infer('gateway-tiny', acme, `tiny-acme-${n++}`)));
        expect(batch.every((a) => a.status === 200)).toBe(true);
        return (await metric('gateway-tiny', dropped)) > 0 ? true : undefined;
      },
      60_000,
      50,
    );

    const refused = await infer('gateway-tiny', strict, 'tiny-strict-refused');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.json.error).toMatch(/^this tenant's calls must be audited and the gateway's audit spool is full \(FALAJ_AUDIT_SPOOL_MAX_BYTES=65536/);
    const grpc = new OipGrpcClient({ address: `127.0.0.1:${grpcPort}`, credentials: suite.grpcCredentials() }, strict);
    try {
      const input = { name: 'input', datatype: 'FP32' as const, shape: [1, 4], data: Buffer.from(new Float32Array(BODY.inputs[0].data).buffer) };
      await expect(grpc.infer({ model: 'tiny-mlp', inputs: [input] })).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
    } finally {
      grpc.close();
    }

    // A normal tenant is still served; its event is dropped, and counted.
    const before = await metric('gateway-tiny', dropped);
    expect((await infer('gateway-tiny', acme, 'tiny-acme-after')).status).toBe(200);
    await eventually('the drop counted', async () => ((await metric('gateway-tiny', dropped)) > before ? true : undefined), 5000, 20);
    expect(await metric('gateway-tiny', /^falaj_gateway_refused_total\{limit="audit_spool"\} (\d+)$/m)).toBe(2);
    // The gateway stays ready: a full spool is no outage for the tenants that may be served unaudited.
    expect((await readiness('gateway-tiny')).ready).toBe(true);
  }, 180_000);
});
