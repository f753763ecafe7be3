import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBinaryInferRequest, eventually, FalajSuite, trustTestCa } from '@falaj/testing';
import { BENCH_MODELS, jsonBody, sampleInput } from './bench-models';
import { cpuMs } from './cpu-time';
import { load, type LoadResult } from './http-load';
import { streamLoad } from './stream-load';

/**
 * `npm run bench:hot-path`: the cells the hot-path checks could cost — the tiny MLP straight into
 * the stream at c=64, REST JSON at c=1 and c=64 and REST binary at c=64, batching off (the worker's and the gateway's own work,
 * the model's microseconds aside) — FALAJ_BENCH_ROUNDS times over, each FALAJ_BENCH_SECONDS long,
 * with CPU ms per request of the gateway and the worker. Run it from two checkouts in turn (A, B,
 * A, B): the machine is shared and noisy, the CPU columns move less than latency.
 * FALAJ_BENCH_PROFILE=1 runs the gateway and worker under --cpu-prof and prints their top functions.
 * FALAJ_BENCH_PAYLOAD_POLICIES=none,hash,redact,full measures each payload policy of the tenant in
 * turn within every round (the same processes, interleaved): the policy's cost on the hot path.
 * Tracing's cost has its own bench (`npm run bench:tracing`, tracing-cost.ts), also run by `npm run bench`.
 */
const SECONDS = Number(process.env.FALAJ_BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.FALAJ_BENCH_ROUNDS ?? 2);
const PROFILE = process.env.FALAJ_BENCH_PROFILE === '1';
const listOf = (raw: string | undefined, fallback: string) =>
  (raw ?? fallback)
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
const POLICIES = listOf(process.env.FALAJ_BENCH_PAYLOAD_POLICIES, 'none');

async function main(): Promise<void> {
  // The apps answer over TLS from the tests' CA.
  trustTestCa();
  // FALAJ_BENCH_MODEL picks another of the bench's models (e.g. ocr-cls, whose tensors are 110 kB).
  const model = BENCH_MODELS.find((m) => m.name === (process.env.FALAJ_BENCH_MODEL ?? BENCH_MODELS[0].name)) ?? BENCH_MODELS[0];
  const suite = new FalajSuite();
  const dir = mkdtempSync(join(tmpdir(), 'falaj-hot-'));
  const prof = (name: string) => (PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, name)}`] : []);
  process.stdout.write(`load average ${loadavg()[0].toFixed(2)} at start\n`);
  try {
    await suite.start({
      env: { 'cpu-worker': { FALAJ_INTRA_OP_THREADS: '1', FALAJ_BATCHING: 'false' } },
      nodeArgs: { gateway: prof('gateway'), 'cpu-worker': prof('cpu-worker') },
    });
    const admin = await suite.platformAdminToken();
    await suite.call('POST', '/admin/tenants', admin, { id: 'bench', name: 'Benchmark', residency: 'ae' });
    const token = await suite.token({ tenantId: 'bench', subject: 'bench', scopes: ['infer', 'models:write'] });
    await suite.call('POST', '/admin/models', token, { name: model.name });
    await suite.call('POST', `/admin/models/${model.name}/versions`, token, readFileSync(model.path), { 'content-type': 'application/octet-stream' });
    await suite.call('POST', `/admin/models/${model.name}/versions/1/stage`, token, { stage: 'production' });
    await eventually('ready', async () => ((await suite.call('GET', `/v2/models/${model.name}/ready`, token)).status === 200 ? true : undefined), 120_000, 200);
    const url = `${suite.gatewayUrl}/v2/models/${model.name}/infer`;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const binary = encodeBinaryInferRequest({ inputs: [sampleInput(model)], binaryDataOutput: true });
    // Warm-up: JIT, connections, the token's cache.
    await load(url, 8, 1, jsonBody(model), headers);
    const cells: [string, () => Promise<LoadResult>][] = [
      [
        'stream c=64',
        () => streamLoad(suite.redisEndpointOf('gateway'), suite.prefix, 'cpu.ae', { tenantId: 'bench', model: model.name, version: 1, inputs: [sampleInput(model)], outputs: [] }, 64, SECONDS),
      ],
      ['rest-json c=1', () => load(url, 1, SECONDS, jsonBody(model), headers)],
      ['rest-json c=64', () => load(url, 64, SECONDS, jsonBody(model), headers)],
      ['rest-binary c=64', () => load(url, 64, SECONDS, binary.body, { authorization: headers.authorization, ...binary.headers })],
    ];
    process.stdout.write('| round | payload policy | cell | p50 ms | p99 ms | req/s | CPU ms/req gateway | CPU ms/req worker | failed |\n|---:|---|---|---:|---:|---:|---:|---:|---:|\n');
    for (let round = 1; round <= ROUNDS; round++)
      for (const policy of POLICIES) {
        const set = await suite.call('PATCH', '/admin/tenants/bench', admin, { payloadLogging: policy });
        if (set.status !== 200) throw new Error(`payload policy ${policy}: ${set.status} ${set.text}`);
        // The edges follow the registry's announcement at once; a moment for it to arrive.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        for (const [name, run] of cells) {
          // Straight into the stream there is no edge, so no policy: measured once a round.
          if (name.startsWith('stream') && policy !== POLICIES[0]) continue;
          const gateway = suite.app('gateway').pid;
          const worker = suite.app('cpu-worker').pid;
          const before = [cpuMs(gateway), cpuMs(worker)];
          const from = process.hrtime.bigint() / 1000n;
          const r = await run();
          // V8 stamps profile samples with this monotonic clock (µs): the cell's window in a --cpu-prof file.
          if (PROFILE) process.stdout.write(`window ${name} ${from} ${process.hrtime.bigint() / 1000n}\n`);
          const served = Math.max(1, r.samples);
          const g = (cpuMs(gateway) - before[0]) / served;
          const w = (cpuMs(worker) - before[1]) / served;
          process.stdout.write(
            `| ${round} | ${policy} | ${name} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.throughput.toFixed(0)} | ${g.toFixed(3)} | ${w.toFixed(3)} | ${r.errors + r.non2xx} |\n`,
          );
        }
      }
  } finally {
    await suite.stop();
  }
  if (PROFILE) {
    for (const app of ['gateway', 'cpu-worker']) {
      const file = readdirSync(join(dir, app)).find((f) => f.endsWith('.cpuprofile'));
      if (file) process.stdout.write(`${app} profile: ${join(dir, app, file)}\n`);
    }
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`hot-path bench failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
