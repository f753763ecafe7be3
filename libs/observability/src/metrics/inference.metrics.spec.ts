import { AppMetrics } from './app-metrics';
import { InferenceMetrics } from './inference.metrics';
import { WorkerMetrics } from './worker.metrics';

const line = (text: string, name: string, labels: string) => {
  const found = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return found === undefined ? undefined : Number(found.slice(found.lastIndexOf(' ') + 1));
};

describe(InferenceMetrics.name, () => {
  describe('observe', () => {
    it('counts each call once by model, version, pool, protocol and outcome, with its latency', async () => {
      const app = new AppMetrics('gateway');
      const metrics = new InferenceMetrics(app);
      for (let i = 0; i < 5; i++) metrics.observe('acme', 'scorer', true, 2, 'cpu.ae', 'rest', 200, 0.004);
      metrics.observe('acme', 'scorer', true, 2, 'cpu.ae', 'grpc', 500, 0.1);
      metrics.observe('acme', 'scorer', true, null, null, 'rest', 503, 0.001);
      metrics.observe('acme', 'scorer', true, 2, 'cpu.ae', 'rest', 429, 0.001);
      const text = await app.text();
      const series = 'tenant="acme",model="scorer",version="2",pool="cpu.ae"';
      expect(line(text, 'falaj_inference_requests_total', `${series},protocol="rest",outcome="success"`)).toBe(5);
      expect(line(text, 'falaj_inference_requests_total', `${series},protocol="grpc",outcome="server_error"`)).toBe(1);
      expect(line(text, 'falaj_inference_requests_total', 'tenant="acme",model="scorer",version="",pool="",protocol="rest",outcome="rejected"')).toBe(1);
      expect(line(text, 'falaj_inference_request_duration_seconds_count', `${series},protocol="rest"`)).toBe(6);
      expect(line(text, 'falaj_inference_request_duration_seconds_bucket', `le="0.0025",${series},protocol="rest"`)).toBe(1);
      // Cumulative: the five 4 ms calls and the 1 ms one.
      expect(line(text, 'falaj_inference_request_duration_seconds_bucket', `le="0.005",${series},protocol="rest"`)).toBe(6);
      expect(line(text, 'falaj_inference_rejected_total', 'tenant="acme",model="scorer",protocol="rest",code="503"')).toBe(1);
      expect(line(text, 'falaj_inference_rejected_total', 'tenant="acme",model="scorer",protocol="rest",code="429"')).toBe(1);
    });

    it('counts calls to a model off the routing table under one label, whatever the names', async () => {
      const app = new AppMetrics('gateway');
      const metrics = new InferenceMetrics(app);
      for (let i = 0; i < 50; i++) metrics.observe('acme', `made-up-${i}`, false, null, null, 'rest', 404, 0.001);
      const text = await app.text();
      expect(line(text, 'falaj_inference_requests_total', 'tenant="acme",model="_unknown",version="",pool="",protocol="rest",outcome="client_error"')).toBe(50);
      expect(text).not.toMatch(/made-up/);
    });

    it('serves the process metrics beside them', async () => {
      expect(await new AppMetrics('router').text()).toMatch(/^process_cpu_user_seconds_total /m);
    });
  });
});

describe(WorkerMetrics.name, () => {
  it('counts outcomes, queue and compute time per version, and reads pending requests and cache bytes at scrape time', async () => {
    const app = new AppMetrics('cpu-worker');
    const hosted = [{ tenantId: 'acme', model: 'scorer', version: 2, queueDepth: 3, inFlight: 1, memoryBytes: 2048 }];
    const metrics = new WorkerMetrics(
      app,
      'cpu.ae',
      () => hosted,
      () => 1 << 20,
    );
    const series = metrics.version('acme', 'scorer', 2);
    expect(metrics.version('acme', 'scorer', 2)).toBe(series);
    metrics.answered(series, 200, 0.002, 0.001);
    metrics.answered(series, 200, 0.003, 0.001);
    metrics.answered(series, 504);
    series.batchSize.observe(2);
    metrics.loaded('acme', 'scorer', 2, 0.4, false);
    metrics.loaded('acme', 'scorer', 2, 0.3, true);
    metrics.evicted('acme', 'scorer', 2);
    const text = await app.text();
    const labels = 'tenant="acme",model="scorer",version="2",pool="cpu.ae"';
    expect(line(text, 'falaj_worker_requests_total', `${labels},outcome="success"`)).toBe(2);
    expect(line(text, 'falaj_worker_requests_total', `${labels},outcome="timeout"`)).toBe(1);
    expect(line(text, 'falaj_inference_queue_duration_seconds_count', labels)).toBe(2);
    expect(line(text, 'falaj_inference_compute_duration_seconds_count', labels)).toBe(2);
    expect(line(text, 'falaj_inference_batch_size_sum', labels)).toBe(2);
    expect(line(text, 'falaj_model_loads_total', `${labels},kind="cold_start"`)).toBe(1);
    expect(line(text, 'falaj_model_load_duration_seconds_count', `${labels},kind="load"`)).toBe(1);
    expect(line(text, 'falaj_model_evictions_total', labels)).toBe(1);
    expect(line(text, 'falaj_inference_pending_requests', labels)).toBe(4);
    expect(line(text, 'falaj_model_cache_bytes', labels)).toBe(2048);
    expect(line(text, 'falaj_model_cache_budget_bytes', 'pool="cpu.ae"')).toBe(1 << 20);
  });
});

describe('exemplars', () => {
  const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

  it('puts a traced call’s trace id on its latency bucket', async () => {
    const app = new AppMetrics('gateway');
    const metrics = new InferenceMetrics(app);
    metrics.observe('acme', 'scorer', true, 2, 'cpu.ae', 'rest', 200, 0.004);
    metrics.observe('acme', 'scorer', true, 2, 'cpu.ae', 'rest', 200, 0.004, TRACE);
    const open = await app.text();
    const bucket = open.split('\n').find((l) => l.startsWith('falaj_inference_request_duration_seconds_bucket{le="0.005",tenant="acme"'));
    expect(bucket).toMatch(new RegExp(`^\\S+ 2 # \\{trace_id="${TRACE}"\\} 0\\.004 \\d+(\\.\\d+)?$`));
    expect(open.trimEnd().endsWith('# EOF')).toBe(true);
    // Both calls counted once each, whichever way they were observed.
    expect(line(open, 'falaj_inference_request_duration_seconds_count', 'tenant="acme",model="scorer",version="2",pool="cpu.ae",protocol="rest"')).toBe(2);
    // Only the bucket the traced call fell in names it.
    expect(open.split('\n').filter((l) => l.includes(TRACE))).toHaveLength(1);
  });

  it('gives the worker’s queue and compute buckets the request’s trace id', async () => {
    const app = new AppMetrics('cpu-worker');
    const metrics = new WorkerMetrics(
      app,
      'cpu.ae',
      () => [],
      () => 0,
    );
    metrics.answered(metrics.version('acme', 'scorer', 2), 200, 0.0003, 0.002, TRACE);
    const open = await app.text();
    for (const name of ['falaj_inference_queue_duration_seconds_bucket', 'falaj_inference_compute_duration_seconds_bucket']) {
      expect(open.split('\n').some((l) => l.startsWith(name) && l.includes(`# {trace_id="${TRACE}"}`))).toBe(true);
    }
  });

  it('renders a counter with its _total sample in every scrape (prom-client renames it in place for OpenMetrics)', async () => {
    const app = new AppMetrics('gateway');
    const metrics = new InferenceMetrics(app);
    metrics.observe('acme', 'scorer', true, 2, 'cpu.ae', 'rest', 200, 0.004);
    for (let scrape = 0; scrape < 2; scrape++) {
      expect(line(await app.text(), 'falaj_inference_requests_total', 'tenant="acme",model="scorer",version="2",pool="cpu.ae",protocol="rest",outcome="success"')).toBe(1);
    }
  });
});
