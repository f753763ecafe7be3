import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { eventually, FalajSuite, trustTestCa } from '@falaj/testing';
import { BENCH_MODELS, jsonBody } from './bench-models';
import { measureTracerCost, measureTracingOverhead, tracingSection } from './tracing-cost';

/**
 * `npm run bench:tracing`: tracing's overhead alone (tracing-cost.ts), the part of `npm run bench`
 * that issue 16 names, without the rest of it: the tracer in process, then the five apps with
 * the tiny MLP and each ratio in turn, FALAJ_BENCH_ROUNDS rounds of FALAJ_BENCH_SECONDS cells.
 * Spans go to the Zipkin at FALAJ_BENCH_ZIPKIN_URL (`infra.sh up zipkin`, run by the npm script).
 */
const SECONDS = Number(process.env.FALAJ_BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.FALAJ_BENCH_ROUNDS ?? 2);
const ZIPKIN = process.env.FALAJ_BENCH_ZIPKIN_URL ?? 'http://127.0.0.1:9411/api/v2/spans';

async function main(): Promise<void> {
  process.stdout.write(`load average ${loadavg()[0].toFixed(2)} at start\n`);
  const inProcess = await measureTracerCost(ZIPKIN);
  trustTestCa();
  const model = BENCH_MODELS[0];
  const suite = new FalajSuite();
  try {
    await suite.start({ env: { 'cpu-worker': { FALAJ_INTRA_OP_THREADS: '1', FALAJ_BATCHING: 'false' } } });
    const admin = await suite.platformAdminToken();
    await suite.call('POST', '/admin/tenants', admin, { id: 'bench', name: 'Benchmark', residency: 'ae' });
    const token = await suite.token({ tenantId: 'bench', subject: 'bench', scopes: ['infer', 'models:write'] });
    await suite.call('POST', '/admin/models', token, { name: model.name });
    await suite.call('POST', `/admin/models/${model.name}/versions`, token, readFileSync(model.path), { 'content-type': 'application/octet-stream' });
    await suite.call('POST', `/admin/models/${model.name}/versions/1/stage`, token, { stage: 'production' });
    const ready = async () => (await suite.call('GET', `/v2/models/${model.name}/ready`, token)).status === 200;
    await eventually('ready', async () => ((await ready()) ? true : undefined), 120_000, 200);
    const cells = await measureTracingOverhead(
      suite,
      { url: `${suite.gatewayUrl}/v2/models/${model.name}/infer`, body: jsonBody(model), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ready },
      { zipkinUrl: ZIPKIN, seconds: SECONDS, rounds: ROUNDS, step: (what) => process.stderr.write(`bench: ${what}\n`) },
    );
    process.stdout.write(`${tracingSection(inProcess, cells)}\nload average ${loadavg()[0].toFixed(2)} at the end\n`);
  } finally {
    await suite.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`tracing bench failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
