import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FalajSuite, OipGrpcClient, eventually, freePorts, startPrometheus } from '@falaj/testing';

/**
 * Metrics and health on the five apps from the build output, against the real Postgres, Redis
 * and Kafka (issue 16 items 3 and 4). A known load is sent, and every app's /metrics must agree
 * with it exactly: the gateway's edge counters and latency histogram, the worker's outcome,
 * queue, compute and batch-size series, the registry's queue depth and audit lag. Readiness
 * names the dependencies each app needs. The shared Kafka is never stopped: a Kafka outage is a
 * second gateway pointed at an address where nothing listens (as test/durable-audit.e2e-spec.ts,
 * which also shows every event of such an outage reaching Postgres once Kafka is back).
 */
const MODEL = join(__dirname, '..', 'models', 'tiny-mlp.onnx');
const BODY = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] };
const REST_CALLS = 12;
const GRPC_CALLS = 5;
const UNKNOWN_CALLS = 3;

type Health = { ready?: boolean; live?: boolean; status: string; checks: Record<string, Record<string, unknown>> };

describe('observability (e2e)', () => {
  const suite = new FalajSuite();
  let acme: string;
  let operator: string;

  const scrape = async (app: string, token: string | null = operator) => {
    const response = await fetch(`${suite.appUrl(app)}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  };
  /** The value of the one sample of `name` whose labels include every one of `labels` (0 when none). */
  const sample = (text: string, name: string, labels: Record<string, string> = {}): number => {
    const values: number[] = [];
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      const has = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
      if (has) values.push(Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
    if (values.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${values.length} samples match`);
    return values[0] ?? 0;
  };
  const health = async (app: string, path: string) => {
    const response = await fetch(`${suite.appUrl(app)}${path}`);
    return { status: response.status, body: (await response.json()) as Health };
  };

  beforeAll(async () => {
    await suite.start({ gpuWorker: true });
    const admin = await suite.platformAdminToken();
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'acme', name: 'Acme', residency: 'ae' })).status).toBe(201);
    acme = await suite.token({ tenantId: 'acme', scopes: ['infer', 'models:write', 'models:read'] });
    operator = await suite.token({ tenantId: '_platform', subject: 'ops', scopes: ['workers:read'] });
    await suite.call('POST', '/admin/models', acme, { name: 'tiny-mlp' });
    expect((await suite.call('POST', '/admin/models/tiny-mlp/versions', acme, readFileSync(MODEL), { 'content-type': 'application/octet-stream' })).status).toBe(201);
    await suite.call('POST', '/admin/models/tiny-mlp/versions/1/stage', acme, { stage: 'production' });
    await eventually('model ready', async () => ((await suite.call('GET', '/v2/models/tiny-mlp/ready', acme)).status === 200 ? true : undefined), 60_000);
  }, 180_000);
  afterAll(() => suite.stop(), 60_000);

  describe('metrics', () => {
    let pool: string;

    beforeAll(async () => {
      for (let i = 0; i < REST_CALLS; i++) {
        const answer = await suite.call('POST', '/v2/models/tiny-mlp/infer', acme, BODY);
        expect(answer.status).toBe(200);
        pool = answer.headers.get('x-falaj-pool') ?? pool;
      }
      const grpc = new OipGrpcClient({ address: suite.grpcAddress, credentials: suite.grpcCredentials() }, acme);
      try {
        const input = { name: 'input', datatype: 'FP32' as const, shape: [1, 4], data: Buffer.from(new Float32Array(BODY.inputs[0].data).buffer) };
        for (let i = 0; i < GRPC_CALLS; i++) await grpc.infer({ model: 'tiny-mlp', inputs: [input] });
      } finally {
        grpc.close();
      }
      // Names off the routing table: counted, under one label, never one series per name.
      for (let i = 0; i < UNKNOWN_CALLS; i++) expect((await suite.call('POST', `/v2/models/made-up-${i}/infer`, acme, BODY)).status).toBe(404);
    }, 60_000);

    it('the gateway counts every call by model, version, pool, protocol and outcome, with its latency', async () => {
      const { status, type, text } = await scrape('gateway');
      expect(status).toBe(200);
      // OpenMetrics 1.0, the format with exemplars (docs/metrics.md): it ends in `# EOF`.
      expect(type).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
      expect(text.trimEnd().endsWith('# EOF')).toBe(true);
      const placed = { tenant: 'acme', model: 'tiny-mlp', version: '1' };
      expect(sample(text, 'falaj_inference_requests_total', { ...placed, protocol: 'rest', outcome: 'success' })).toBe(REST_CALLS);
      expect(sample(text, 'falaj_inference_requests_total', { ...placed, protocol: 'grpc', outcome: 'success' })).toBe(GRPC_CALLS);
      expect(sample(text, 'falaj_inference_request_duration_seconds_count', { ...placed, protocol: 'rest' })).toBe(REST_CALLS);
      expect(sample(text, 'falaj_inference_request_duration_seconds_bucket', { ...placed, protocol: 'rest', le: '+Inf' })).toBe(REST_CALLS);
      expect(sample(text, 'falaj_inference_request_duration_seconds_sum', { ...placed, protocol: 'rest' })).toBeGreaterThan(0);
      expect(sample(text, 'falaj_inference_requests_total', { tenant: 'acme', model: '_unknown', version: '', pool: '', protocol: 'rest', outcome: 'client_error' })).toBe(UNKNOWN_CALLS);
      expect(text).not.toMatch(/made-up-/);
      // Node's process metrics, from prom-client's defaults.
      expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    });

    it("a tenant cannot read /metrics on the public gateway port (it names every tenant's models)", async () => {
      expect((await scrape('gateway', null)).status).toBe(401);
      expect((await scrape('gateway', acme)).status).toBe(403);
    });

    it('the worker counts what it ran: outcomes, queue and compute time, requests per execution, loads and cache bytes', async () => {
      const { status, text } = await scrape('cpu-worker');
      expect(status).toBe(200);
      const version = { tenant: 'acme', model: 'tiny-mlp', version: '1', pool };
      const served = REST_CALLS + GRPC_CALLS;
      expect(sample(text, 'falaj_worker_requests_total', { ...version, outcome: 'success' })).toBe(served);
      expect(sample(text, 'falaj_inference_queue_duration_seconds_count', version)).toBe(served);
      expect(sample(text, 'falaj_inference_compute_duration_seconds_count', version)).toBe(served);
      // One observation per execution; their sum is the requests executed (sequential calls: batches of one).
      expect(sample(text, 'falaj_inference_batch_size_sum', version)).toBe(served);
      expect(sample(text, 'falaj_inference_batch_size_bucket', { ...version, le: '1' })).toBe(sample(text, 'falaj_inference_batch_size_count', version));
      expect(sample(text, 'falaj_model_loads_total', { ...version, kind: 'load' })).toBe(1);
      expect(sample(text, 'falaj_model_load_duration_seconds_count', { ...version, kind: 'load' })).toBe(1);
      expect(sample(text, 'falaj_model_cache_bytes', version)).toBeGreaterThan(0);
      expect(sample(text, 'falaj_inference_pending_requests', version)).toBe(0);
      expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      expect((await scrape('cpu-worker', acme)).status).toBe(403);
    });

    it('the GPU worker without a GPU exports no GPU gauges (nvidia-smi is never run)', async () => {
      const { status, text } = await scrape('gpu-worker');
      expect(status).toBe(200);
      expect(text).not.toMatch(/^falaj_gpu_/m);
      expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    });

    it("the registry reports its batch queue depth and the audit writer's lag, which drains to 0", async () => {
      const first = await scrape('registry');
      expect(first.status).toBe(200);
      expect(first.text).toMatch(/^falaj_queue_jobs\{queue="[^"]+",state="waiting"\} 0$/m);
      await eventually(
        'audit lag 0',
        async () => {
          const { text } = await scrape('registry');
          return /^falaj_audit_consumer_lag\{topic="[^"]+",partition="\d+"\} /m.test(text) && !/^falaj_audit_consumer_lag\{[^}]*\} [1-9]/m.test(text) ? true : undefined;
        },
        30_000,
      );
    }, 40_000);

    it("the router serves its metrics with process metrics and the bridge's consumer lag", async () => {
      const { status, text } = await scrape('router', null);
      expect(status).toBe(200);
      expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
      expect(text).toMatch(/^# TYPE falaj_stream_consumer_lag gauge$/m);
      // OpenMetrics names a counter family without `_total`; its samples carry it.
      expect(text).toMatch(/^# TYPE falaj_inference_requests counter$/m);
    });
  });

  describe('health', () => {
    it.each([
      ['gateway', '/v2/health', ['redis', 'routes', 'audit']],
      ['router', '/health', ['redis', 'kafka', 'streaming']],
      ['registry', '/health', ['postgres', 'regionStores', 'kafka', 'auditConsumer']],
      ['cpu-worker', '/health', ['redis', 'pool']],
    ])('%s: live (event loop), and ready with exactly its dependencies', async (app, base, checks) => {
      const live = await health(app, `${base}/live`);
      expect(live.status).toBe(200);
      // OIP's live is exactly `{ live }`; the internal apps say what the check saw.
      if (app === 'gateway') expect(live.body).toEqual({ live: true });
      else expect(live.body).toMatchObject({ live: true, status: 'ok', checks: { eventLoop: { ok: true } } });
      const ready = await health(app, `${base}/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body.ready).toBe(true);
      expect(ready.body.status).toBe('ok');
      expect(Object.keys(ready.body.checks).sort()).toEqual([...checks].sort());
      for (const name of checks) expect(ready.body.checks[name].ok).toBe(true);
    });

    it('a worker is ready with its model loaded, and says so', async () => {
      const ready = await health('cpu-worker', '/health/ready');
      expect(ready.body.checks.pool).toMatchObject({ ok: true, loaded: 1, wanted: 1 });
    });

    it('the GPU worker without a GPU is live but not ready, saying why', async () => {
      expect((await health('gpu-worker', '/health/live')).status).toBe(200);
      const ready = await health('gpu-worker', '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe('error');
      expect(ready.body.checks.pool).toMatchObject({ ok: false });
      expect(String(ready.body.checks.pool.error)).toMatch(/^not in the gpu pool: /);
    });

    it('a gateway whose Kafka is away stays ready and serving; its audit events wait in the spool, counted in /metrics', async () => {
      const [grpcPort, deadPort] = await freePorts(2);
      await suite.addApp('gateway-cut', 'gateway', { FALAJ_KAFKA_BROKERS: `127.0.0.1:${deadPort}`, FALAJ_GRPC_PORT: String(grpcPort) });
      const ready = await health('gateway-cut', '/v2/health/ready');
      expect(ready.status).toBe(200);
      expect(String(ready.body.checks.audit.kafka)).toMatch(/^(away|connecting)/);
      await eventually(
        'routes on gateway-cut',
        async () => ((await fetch(`${suite.appUrl('gateway-cut')}/v2/models/tiny-mlp/ready`, { headers: { authorization: `Bearer ${acme}` } })).status === 200 ? true : undefined),
        30_000,
      );
      for (let i = 0; i < 7; i++) {
        const answer = await fetch(`${suite.appUrl('gateway-cut')}/v2/models/tiny-mlp/infer`, {
          method: 'POST',
          headers: { authorization: `Bearer ${acme}`, 'content-type': 'application/json' },
          body: JSON.stringify(BODY),
        });
        expect(answer.status).toBe(200);
      }
      await eventually('7 events spooled', async () => (sample((await scrape('gateway-cut')).text, 'falaj_gateway_audit_spool_events') === 7 ? true : undefined), 10_000, 50);
      const { text } = await scrape('gateway-cut');
      expect(sample(text, 'falaj_gateway_audit_spool_bytes')).toBeGreaterThan(0);
      expect(sample(text, 'falaj_gateway_audit_dropped_total', { reason: 'spool_full' })).toBe(0);
      expect(sample(text, 'falaj_inference_requests_total', { tenant: 'acme', model: 'tiny-mlp', protocol: 'rest', outcome: 'success' })).toBe(7);
      expect((await health('gateway-cut', '/v2/health/ready')).body.ready).toBe(true);
    }, 60_000);
  });

  describe("a real Prometheus (Debian's, `infra.sh up prometheus`) scraping every app", () => {
    it("evaluates the recording rules of k8s/monitoring and the dashboard's p95 per model, agreeing with the load sent", async () => {
      // The rules as shipped, evaluated every second rather than every 15 s.
      const rules = readFileSync(join(__dirname, '..', 'k8s', 'monitoring', 'falaj-rules.yaml'), 'utf8').replace(/interval: 15s/g, 'interval: 1s');
      const prometheus = await startPrometheus(suite, { apps: ['gateway', 'registry', 'router', 'cpu-worker'], token: operator, rules: { 'rules.yaml': rules } });
      const query = prometheus.query;
      try {
        const up = await prometheus.allUp();
        expect(up.map((r) => r.metric.job).sort()).toEqual(['cpu-worker', 'gateway', 'registry', 'router']);
        const sent = await scrape('gateway');
        const served = sample(sent.text, 'falaj_inference_requests_total', { model: 'tiny-mlp', protocol: 'rest', outcome: 'success' });
        // What Prometheus holds of the gateway's counter is what the gateway says it served.
        const counted = await eventually(
          'the REST calls in Prometheus',
          async () => {
            const [r] = await query('sum(falaj_inference_requests_total{job="gateway",model="tiny-mlp",protocol="rest",outcome="success"})');
            return r && Number(r.value[1]) === served ? Number(r.value[1]) : undefined;
          },
          30_000,
          500,
        );
        expect(counted).toBeGreaterThanOrEqual(REST_CALLS);
        // Fresh calls in the rules' windows, then the recording rule and the dashboard's query give one p95.
        for (let i = 0; i < 20; i++) expect((await suite.call('POST', '/v2/models/tiny-mlp/infer', acme, BODY)).status).toBe(200);
        const p95 = await eventually(
          'the p95 recording rule',
          async () => {
            const [r] = await query('falaj:inference_request_duration_seconds:p95_5m{tenant="acme",model="tiny-mlp"}');
            return r && Number.isFinite(Number(r.value[1])) ? Number(r.value[1]) : undefined;
          },
          30_000,
          500,
        );
        expect(p95).toBeGreaterThan(0);
        expect(p95).toBeLessThan(30);
        const [dashboard] = await query('histogram_quantile(0.95, sum by (tenant, model, le) (rate(falaj_inference_request_duration_seconds_bucket{tenant="acme",model="tiny-mlp"}[5m])))');
        expect(Number(dashboard.value[1])).toBeGreaterThan(0);
        const [pending] = await query('falaj:pool_pending_requests{pool="cpu.ae"}');
        expect(pending).toBeDefined();
        process.stdout.write(
          `prometheus: p95 of tiny-mlp ${(p95 * 1000).toFixed(1)} ms (rule), ${(Number(dashboard.value[1]) * 1000).toFixed(1)} ms (dashboard query); ${counted} REST calls counted\n`,
        );
      } finally {
        prometheus.stop();
      }
    }, 120_000);
  });
});
