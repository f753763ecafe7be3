import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { encodeBinaryInferRequest, FalajSuite, repoRoot, trustTestCa } from '@falaj/testing';
import { BENCH_MODELS, jsonBody, sampleInput, type BenchModel } from './bench-models';
import { startEchoServer } from './echo-server';
import { cpuMs, treeCpuMs } from './cpu-time';
import { load, type LoadResult } from './http-load';
import { streamLoad } from './stream-load';
import { grpcLoad } from './grpc-load';
import { batchThroughput, streamingThroughput, type PipelineResult } from './pipelines';
import { bestBatched, measureRaw, type RawResult } from './raw-runner';
import { writeReport, type CpuColumn, type Row } from './bench-report';
import { authCostSection, measureAuthCost } from './auth-cost';
import { onboard, register, waitReady, workerHeartbeat } from './bench-setup';
import { measureTracerCost, measureTracingOverhead, tracingSection } from './tracing-cost';

/**
 * `npm run bench`: one command, one run. Starts the infrastructure and the five built apps,
 * registers the three benchmark models over the admin API, measures raw onnxruntime-node
 * in-process, the gateway (REST JSON and Triton binary) with batching off and on, and a bare
 * Fastify echo, and the authentication cost per request in process (auth-cost.ts, first, before
 * anything else runs); last, tracing's overhead at ratios 0, 0.01 and 1 (tracing-cost.ts, spans to
 * the Zipkin `infra.sh up zipkin` runs); prints the table and writes docs/benchmarks.md.
 */
const THREADS = Number(process.env.FALAJ_BENCH_THREADS ?? 1);
const SECONDS = Number(process.env.FALAJ_BENCH_SECONDS ?? 4);
/** Sessions per model in the worker and in raw: each model's own (bench-models.ts) unless set here for all. */
const INSTANCES = process.env.FALAJ_BENCH_INSTANCES ? Number(process.env.FALAJ_BENCH_INSTANCES) : undefined;
const instancesOf = (model: BenchModel) => INSTANCES ?? model.instances;
const RAW_SECONDS = Number(process.env.FALAJ_BENCH_RAW_SECONDS ?? 2);
/** TLS on every listener (the default, as deployed); `false` measures plain HTTP for the comparison. */
const TLS = process.env.FALAJ_BENCH_TLS !== 'false';
/** The direct-to-stream row runs at the model's highest measured concurrency. */
const STREAM_C = (model: BenchModel) => Math.max(...model.concurrencies);
/** Rounds of the tracing-overhead phase (each ratio once a round, interleaved). */
const TRACE_ROUNDS = Number(process.env.FALAJ_BENCH_TRACE_ROUNDS ?? 2);
const ZIPKIN = process.env.FALAJ_BENCH_ZIPKIN_URL ?? 'http://127.0.0.1:9411/api/v2/spans';

async function main(): Promise<void> {
  const startedAt = new Date();
  const began = performance.now();
  const load1 = loadavg()[0];
  step('authentication cost per request (in process, no apps)');
  const auth = await measureAuthCost();
  step('infrastructure (scripts/infra.sh up)');
  const infra = spawnSync('bash', ['scripts/infra.sh', 'up'], { cwd: repoRoot(), stdio: ['ignore', 'ignore', 'inherit'] });
  if (infra.status !== 0) throw new Error('scripts/infra.sh up failed');
  const zipkin = spawnSync('bash', ['scripts/infra.sh', 'up', 'zipkin'], { cwd: repoRoot(), stdio: ['ignore', 'ignore', 'inherit'] });
  if (zipkin.status !== 0) throw new Error('scripts/infra.sh up zipkin failed');
  step('the tracer per call (in process, no apps)');
  const tracer = await measureTracerCost(ZIPKIN);

  const suite = new FalajSuite();
  const rows: Row[] = [];
  const raw = new Map<string, RawResult>();
  try {
    step('five apps from dist (batching off)');
    if (TLS) trustTestCa();
    await suite.start({
      tls: TLS,
      env: { 'cpu-worker': { FALAJ_INTRA_OP_THREADS: String(THREADS), FALAJ_BATCHING: 'false' } },
    });
    const token = await onboard(suite);
    for (const model of BENCH_MODELS) {
      step(`registering ${model.name}: ${instancesOf(model)} session(s) × ${THREADS} thread(s)`);
      await register(suite, token, model, instancesOf(model), THREADS);
    }

    for (const model of BENCH_MODELS) {
      step(`raw onnxruntime-node, ${model.name}, ${instancesOf(model)} session(s) × ${THREADS} intra-op thread(s)`);
      const r = await measureRaw(model, { sessions: instancesOf(model), threads: THREADS }, RAW_SECONDS);
      raw.set(model.name, r);
      for (const c of model.concurrencies) {
        rows.push({ model: model.name, path: 'raw', batching: 'off', c, sessions: r.sessions, threads: r.threads, ...r.concurrent.get(c) });
        rows.push({ model: model.name, path: 'raw', batching: 'on', c, sessions: r.sessions, threads: r.threads, ...r.batched.get(c) });
      }
    }

    // Plain HTTP (the reference), and over TLS as the gateway serves when TLS is on.
    for (const path of TLS ? (['echo', 'echo-tls'] as const) : (['echo'] as const)) {
      const echo = await startEchoServer(path === 'echo-tls' ? suite.certificate('gateway') : undefined);
      for (const c of [1, 64]) {
        step(`bare Fastify ${path}, c=${c}`);
        rows.push({ model: 'fastify-echo', path, batching: '-', c, ...(await load(echo.url, c, SECONDS, jsonBody(BENCH_MODELS[0]), { 'content-type': 'application/json' })) });
      }
      await echo.stop();
    }

    for (const batching of ['off', 'on'] as const) {
      if (batching === 'on') {
        step('restarting the cpu-worker with batching on');
        await suite.restartApp('cpu-worker', { FALAJ_BATCHING: 'true' });
        for (const model of BENCH_MODELS) await waitReady(suite, token, model, instancesOf(model));
      }
      for (const model of BENCH_MODELS) {
        const url = `${suite.gatewayUrl}/v2/models/${model.name}/infer`;
        const auth = { authorization: `Bearer ${token}` };
        const json = jsonBody(model);
        const binary = encodeBinaryInferRequest({ inputs: [sampleInput(model)], binaryDataOutput: true });
        const probe = await fetch(url, { method: 'POST', headers: { ...auth, ...binary.headers }, body: binary.body });
        const binaryServed = probe.ok;
        if (!binaryServed) await probe.arrayBuffer();
        const direct = await withCpu(suite, () =>
          streamLoad(
            suite.redisEndpointOf('gateway'),
            suite.prefix,
            'cpu.ae',
            { tenantId: 'bench', model: model.name, version: 1, inputs: [sampleInput(model)], outputs: [] },
            STREAM_C(model),
            SECONDS,
          ),
        );
        const served = { sessions: instancesOf(model), threads: THREADS };
        rows.push({ model: model.name, path: 'stream', batching, c: STREAM_C(model), ...served, ...direct });
        for (const c of model.concurrencies) {
          step(`gateway ${model.name} batching ${batching} c=${c}`);
          const j = await withCpu(suite, () => load(url, c, SECONDS, json, { ...auth, 'content-type': 'application/json' }));
          rows.push({ model: model.name, path: 'rest-json', batching, c, ...served, ...j });
          if (binaryServed) {
            const b = await withCpu(suite, () => load(url, c, SECONDS, binary.body, { ...auth, ...binary.headers }));
            rows.push({ model: model.name, path: 'rest-binary', batching, c, ...served, ...b });
          } else {
            rows.push({ model: model.name, path: 'rest-binary', batching, c, na: `n/a (binary extension not on this branch: HTTP ${probe.status})` });
          }
        }
      }
    }
    const sections = [await protocols(suite, token, rows), await pipelines(suite, token, raw), authCostSection(auth)];
    const heartbeat = await workerHeartbeat(suite);
    const tiny = BENCH_MODELS[0];
    const traced = await measureTracingOverhead(
      suite,
      {
        url: `${suite.gatewayUrl}/v2/models/${tiny.name}/infer`,
        body: jsonBody(tiny),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ready: async () => (await suite.call('GET', `/v2/models/${tiny.name}/ready`, token)).status === 200,
      },
      { zipkinUrl: ZIPKIN, seconds: SECONDS, rounds: TRACE_ROUNDS, step },
    );
    sections.push(tracingSection(tracer, traced));
    const report = writeReport({
      rows,
      raw: new Map([...raw].map(([name, r]) => [name, bestBatched(r)])),
      threads: THREADS,
      seconds: SECONDS,
      rawSeconds: RAW_SECONDS,
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, load average ${load1.toFixed(2)} at start`,
      startedAt,
      tookSeconds: (performance.now() - began) / 1000,
      heartbeat,
      models: BENCH_MODELS,
      sections,
    });
    process.stdout.write(`\n${report}\n`);
  } finally {
    await suite.stop();
  }
}

/**
 * The three protocols side by side on one model, batching on: p50/p99 at concurrency 1 and
 * throughput at concurrency 32 (the protocol issue's figures). REST rows reuse the same load.
 */
async function protocols(suite: FalajSuite, token: string, rows: Row[]): Promise<string> {
  const lines = ['## Protocols: REST JSON, REST binary and gRPC (batching on)', '', '| model | path | c | p50 ms | p99 ms | req/s | failed |', '|---|---|---:|---:|---:|---:|---:|'];
  for (const model of BENCH_MODELS.filter((m) => m.name !== 'ocr-rec')) {
    const url = `${suite.gatewayUrl}/v2/models/${model.name}/infer`;
    const auth = { authorization: `Bearer ${token}` };
    const binary = encodeBinaryInferRequest({ inputs: [sampleInput(model)], binaryDataOutput: true });
    for (const c of [1, 32]) {
      step(`protocols ${model.name} c=${c}`);
      const cells: [string, LoadResult][] = [
        ['rest-json', await load(url, c, SECONDS, jsonBody(model), { ...auth, 'content-type': 'application/json' })],
        ['rest-binary', await load(url, c, SECONDS, binary.body, { ...auth, ...binary.headers })],
        ['grpc', await grpcLoad(suite.grpcTarget, token, model.name, sampleInput(model), c, SECONDS)],
      ];
      for (const [path, r] of cells) {
        rows.push({ model: model.name, path: path as Row['path'], batching: 'on', c, ...r });
        lines.push(`| ${model.name} | ${path} | ${c} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.throughput.toFixed(0)} | ${r.errors + r.non2xx} |`);
      }
    }
  }
  return lines.join('\n');
}

/**
 * Streaming (Kafka → router → pool → Kafka, transactions included) and batch jobs (Postgres →
 * BullMQ → workers → Postgres) on the tiny MLP, beside raw onnxruntime's rows/s in this run.
 */
async function pipelines(suite: FalajSuite, token: string, raw: Map<string, RawResult>): Promise<string> {
  const model = BENCH_MODELS[0];
  const rawBest = bestBatched(raw.get(model.name)!);
  const rawSingle = raw.get(model.name)!.concurrent.get(1)?.throughput ?? NaN;
  step('streaming: 10,000 requests over Kafka');
  const input = (JSON.parse(jsonBody(model)) as { inputs: object[] }).inputs[0];
  const streamed: PipelineResult = await streamingThroughput(suite, 'bench', token, model.name, input, 10_000);
  step('batch: a 10,000-row job');
  const batched: PipelineResult = await batchThroughput(suite, token, model.name, { inputs: [input] }, 10_000);
  return [
    `## Pipelines: streaming and batch (${model.name})`,
    '',
    '| path | items | seconds | items/s | vs raw one-by-one | vs raw best batched |',
    '|---|---:|---:|---:|---:|---:|',
    `| raw onnxruntime, one item per run | | | ${rawSingle.toFixed(0)} | | |`,
    `| raw onnxruntime, best batch (${rawBest.batch}) | | | ${rawBest.throughput.toFixed(0)} | | |`,
    `| Kafka streaming (10,000 messages, end to end) | ${streamed.items} | ${streamed.seconds.toFixed(1)} | ${streamed.perSecond.toFixed(0)} | ${pct(streamed.perSecond / rawSingle)} | ${pct(streamed.perSecond / rawBest.throughput)} |`,
    `| batch job (10,000 rows, submit to completed) | ${batched.items} | ${batched.seconds.toFixed(1)} | ${batched.perSecond.toFixed(0)} | ${pct(batched.perSecond / rawSingle)} | ${pct(batched.perSecond / rawBest.throughput)} |`,
  ].join('\n');
}

const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

/** The infrastructure's processes, from `infra.sh pids` (the TLS Redis, the broker, Postgres's postmaster). */
function infraPids(): Record<string, number> {
  const out = spawnSync('bash', ['scripts/infra.sh', 'pids'], { cwd: repoRoot(), encoding: 'utf8' });
  return Object.fromEntries(
    out.stdout
      .split('\n')
      .map((line) => line.split(' '))
      .filter(([name, pid]) => name && /^\d+$/.test(pid ?? ''))
      .map(([name, pid]) => [name, Number(pid)]),
  );
}

/**
 * Runs a load and adds the CPU milliseconds per request every process on the path spent: the
 * gateway, the worker, Redis, the Kafka broker (the audit events) and Postgres with its backends.
 */
async function withCpu(suite: FalajSuite, run: () => Promise<LoadResult>): Promise<LoadResult & Pick<Row, CpuColumn>> {
  const infra = infraPids();
  const meters: [CpuColumn, () => number][] = [
    ['gatewayCpuMs', () => cpuMs(suite.app('gateway').pid)],
    ['workerCpuMs', () => cpuMs(suite.app('cpu-worker').pid)],
    ['redisCpuMs', () => cpuMs(infra.redis)],
    ['kafkaCpuMs', () => cpuMs(infra.kafka)],
    ['postgresCpuMs', () => treeCpuMs(infra.postgres)],
    ['registryCpuMs', () => cpuMs(suite.app('registry').pid)],
    ['loadCpuMs', () => cpuMs(process.pid)],
  ];
  const before = meters.map(([, read]) => read());
  const result = await run();
  const served = Math.max(1, result.samples);
  return { ...result, ...Object.fromEntries(meters.map(([column, read], i) => [column, (read() - before[i]) / served])) };
}

function step(what: string): void {
  process.stderr.write(`bench: ${what}\n`);
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
