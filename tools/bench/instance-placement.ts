import { loadavg } from 'node:os';
import { encodeBinaryInferRequest, FalajSuite, trustTestCa } from '@falaj/testing';
import { BENCH_MODELS, sampleInput, type BenchModel } from './bench-models';
import { onboard, register, waitReady } from './bench-setup';
import { cpuMs } from './cpu-time';
import { load } from './http-load';

/**
 * `npm run bench:placement`: where a version's first instance runs, A/B in one run. The same
 * apps and models, the cpu-worker restarted between settings of FALAJ_INLINE_RUN_MAX_MICROS —
 * `inline` (the first instance always on the JavaScript thread, as before the placement policy),
 * `policy` (the default: on a worker thread when a warm run is over 1 ms) and `thread` (every
 * instance on a thread, even the tiny MLP's) — interleaved for FALAJ_BENCH_ROUNDS rounds. Each
 * model has its bench deployment (bench-models.ts: the CNNs 2 sessions × 1 thread), batching on,
 * Triton binary tensors, the tiny MLP and the mid CNN at c=64, the heavy model at c=8.
 */
const SECONDS = Number(process.env.FALAJ_BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.FALAJ_BENCH_ROUNDS ?? 2);
const SETTINGS: [string, string][] = [
  ['inline', '60000000'],
  ['policy', '1000'],
  ['thread', '0'],
];
const C = (model: BenchModel) => Math.max(...model.concurrencies);

async function main(): Promise<void> {
  trustTestCa();
  const suite = new FalajSuite();
  process.stdout.write(`load average ${loadavg()[0].toFixed(2)} at start\n`);
  try {
    await suite.start({ env: { 'cpu-worker': { FALAJ_INTRA_OP_THREADS: '1', FALAJ_BATCHING: 'true', FALAJ_INLINE_RUN_MAX_MICROS: SETTINGS[0][1] } } });
    const token = await onboard(suite);
    for (const model of BENCH_MODELS) await register(suite, token, model, model.instances, 1);
    process.stdout.write('| round | first instance | model | sessions × threads | c | p50 ms | p99 ms | req/s | CPU ms/req gateway | CPU ms/req worker | failed |\n');
    process.stdout.write('|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n');
    let current = SETTINGS[0][1];
    for (let round = 1; round <= ROUNDS; round++)
      for (const [label, micros] of SETTINGS) {
        if (micros !== current) {
          await suite.restartApp('cpu-worker', { FALAJ_INLINE_RUN_MAX_MICROS: micros });
          for (const model of BENCH_MODELS) await waitReady(suite, token, model, model.instances);
          current = micros;
        }
        for (const model of BENCH_MODELS) {
          const url = `${suite.gatewayUrl}/v2/models/${model.name}/infer`;
          const binary = encodeBinaryInferRequest({ inputs: [sampleInput(model)], binaryDataOutput: true });
          const headers = { authorization: `Bearer ${token}`, ...binary.headers };
          await load(url, C(model), 1, binary.body, headers); // warm-up: JIT, connections, the token's cache
          const gateway = suite.app('gateway').pid;
          const worker = suite.app('cpu-worker').pid;
          const before = [cpuMs(gateway), cpuMs(worker)];
          const r = await load(url, C(model), SECONDS, binary.body, headers);
          const served = Math.max(1, r.samples);
          const g = (cpuMs(gateway) - before[0]) / served;
          const w = (cpuMs(worker) - before[1]) / served;
          process.stdout.write(
            `| ${round} | ${label} | ${model.name} | ${model.instances} × 1 | ${C(model)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.throughput.toFixed(0)} | ${g.toFixed(2)} | ${w.toFixed(2)} | ${r.errors + r.non2xx} |\n`,
          );
        }
      }
  } finally {
    await suite.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`placement bench failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
