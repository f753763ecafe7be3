import { SpanKind, Tracing, endSpan } from '@falaj/tracing';
import { eventually } from '@falaj/testing';
import type { FalajSuite } from '@falaj/testing';
import { cpuMs } from './cpu-time';
import { load, type LoadResult } from './http-load';

/**
 * Tracing's cost (issue 16), two ways. In process: the spans one REST call makes in the gateway
 * and the worker, through the real tracer and its Zipkin exporter, CPU per call at each ratio —
 * the tracer's own cost, which the machine's noise does not hide. End to end: the gateway and the
 * worker restarted with each ratio, spans to a real Zipkin, REST JSON at c=1 and c=64, the ratios
 * interleaved round by round so that each sees the same machine.
 */
export const TRACE_SAMPLINGS = [0, 0.01, 1] as const;

export interface TracerCost {
  sampling: number;
  /** User + system CPU of this process per call, export included (µs). */
  cpuMicros: number;
  calls: number;
}

export interface TracingCell {
  round: number;
  sampling: number;
  c: number;
  result: LoadResult;
  gatewayCpuMs: number;
  workerCpuMs: number;
}

/** The spans of one REST call, in the order the gateway and the worker make them (libs/dispatch, libs/worker-runtime). */
function restCallSpans(tracer: Tracing): void {
  const edge = tracer.startTrace('POST /v2/models/:name/infer', undefined, {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': 'POST', 'http.route': '/v2/models/:name/infer', 'falaj.request_id': 'bench' },
  });
  tracer.traceparentOf(edge);
  const place = tracer.startSpan('resolve and place', edge, { attributes: { 'falaj.model': 'tiny-mlp', 'falaj.tenant': 'bench' } });
  place?.setAttribute('falaj.version', 1);
  endSpan(place);
  endSpan(tracer.startSpan('admit', edge));
  const dispatch = tracer.startSpan('dispatch', edge, { kind: SpanKind.PRODUCER, attributes: { 'falaj.pool': 'cpu.ae', 'falaj.version': 1 } });
  const wire = dispatch === undefined ? undefined : tracer.traceparentOf(dispatch);
  const serve = tracer.startSpan('serve', wire, { kind: SpanKind.CONSUMER, attributes: { 'falaj.model': 'tiny-mlp', 'falaj.version': 1, 'falaj.worker': 'bench' } });
  endSpan(tracer.startSpan('queue', serve, { startTime: performance.now() }), undefined, performance.now());
  const batch = tracer.startSpan('batch', serve, { links: serve ? [serve] : [], attributes: { 'falaj.batch.size': 1 } });
  endSpan(tracer.startSpan('onnxruntime run', batch, { attributes: { 'falaj.batch.size': 1 } }));
  endSpan(batch);
  endSpan(tracer.startSpan('reply', serve, { kind: SpanKind.PRODUCER }));
  endSpan(serve);
  endSpan(dispatch);
  endSpan(tracer.startSpan('audit', edge, { attributes: { 'falaj.must_audit': false } }));
  edge?.setAttribute('http.response.status_code', 200);
  endSpan(edge);
}

/** The tracer's CPU per REST call at each ratio, its exports to `zipkinUrl` included (a second's wait lets the last batch go). */
export async function measureTracerCost(zipkinUrl: string, calls = 20_000): Promise<TracerCost[]> {
  const results: TracerCost[] = [];
  // The recording path (span objects, the exporter's JSON) warmed first: at 0.01 too few calls
  // record for the JIT to have compiled it, and its compilation would count as tracing's cost.
  const warm = Tracing.start({ sampling: 1, zipkinUrl, serviceName: 'falaj-bench', exportDelayMs: 200 });
  for (let i = 0; i < 20_000; i++) {
    restCallSpans(warm);
    if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
  }
  await warm.shutdown();
  for (const sampling of TRACE_SAMPLINGS) {
    const tracer = Tracing.start({ sampling, zipkinUrl, serviceName: 'falaj-bench', exportDelayMs: 200 });
    for (let i = 0; i < 5_000; i++) restCallSpans(tracer);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const before = process.cpuUsage();
    for (let i = 0; i < calls; i++) {
      restCallSpans(tracer);
      // Let the exporter run between slices, as it does between requests.
      if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const failed = await tracer.shutdown();
    if (failed !== undefined) throw new Error(`tracing ratio ${sampling}: Zipkin refused the spans (${failed})`);
    const used = process.cpuUsage(before);
    results.push({ sampling, cpuMicros: (used.user + used.system) / calls, calls });
  }
  return results;
}

/**
 * Each ratio in turn, `rounds` times: the gateway and the cpu-worker restarted with it (batching
 * off, so every call is its own run), warmed, then REST JSON at c=1 and c=64 with each one's CPU.
 */
export async function measureTracingOverhead(
  suite: FalajSuite,
  target: { url: string; body: string; headers: Record<string, string>; ready: () => Promise<boolean> },
  options: { zipkinUrl: string; seconds: number; rounds: number; step?: (what: string) => void },
): Promise<TracingCell[]> {
  const cells: TracingCell[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    for (const sampling of TRACE_SAMPLINGS) {
      options.step?.(`tracing ratio ${sampling}, round ${round}: restarting the gateway and the cpu-worker`);
      const env = { FALAJ_TRACE_SAMPLING: String(sampling), FALAJ_TRACE_ZIPKIN_URL: options.zipkinUrl, FALAJ_TRACE_EXPORT_DELAY_MS: '1000', FALAJ_BATCHING: 'false' };
      await suite.restartApp('gateway', env);
      await suite.restartApp('cpu-worker', env);
      await eventually('ready again', async () => ((await target.ready()) ? true : undefined), 120_000, 200);
      await load(target.url, 8, 1, target.body, target.headers);
      for (const c of [1, 64]) {
        const gateway = suite.app('gateway').pid;
        const worker = suite.app('cpu-worker').pid;
        const before = [cpuMs(gateway), cpuMs(worker)];
        const result = await load(target.url, c, options.seconds, target.body, target.headers);
        const served = Math.max(1, result.samples);
        cells.push({ round, sampling, c, result, gatewayCpuMs: (cpuMs(gateway) - before[0]) / served, workerCpuMs: (cpuMs(worker) - before[1]) / served });
      }
    }
  }
  return cells;
}

/** The report's section: the in-process cost, then every end-to-end cell. */
export function tracingSection(inProcess: TracerCost[], cells: TracingCell[]): string {
  const lines = [
    '## Tracing overhead (issue 16)',
    '',
    'In process, the spans of one REST call (gateway and worker) through the real tracer, exported to Zipkin:',
    '',
    '| tracing ratio | CPU µs per call | calls |',
    '|---:|---:|---:|',
    ...inProcess.map((r) => `| ${r.sampling} | ${r.cpuMicros.toFixed(2)} | ${r.calls} |`),
    '',
    'End to end, tiny MLP, REST JSON, batching off; the gateway and the cpu-worker restarted with each ratio:',
    '',
    '| round | tracing ratio | c | p50 ms | p99 ms | req/s | CPU ms/req gateway | CPU ms/req worker | failed |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...cells.map(
      (x) =>
        `| ${x.round} | ${x.sampling} | ${x.c} | ${x.result.p50.toFixed(2)} | ${x.result.p99.toFixed(2)} | ${x.result.throughput.toFixed(0)} | ${x.gatewayCpuMs.toFixed(3)} | ${x.workerCpuMs.toFixed(3)} | ${x.result.errors + x.result.non2xx} |`,
    ),
  ];
  return lines.join('\n');
}
