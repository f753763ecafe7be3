import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { repoRoot } from '@falaj/testing';
import type { BenchModel } from './bench-models';
import { benchTargets } from './bench-targets';
import { cpu, ms, pct, rps, signedMs } from './cell-format';

export type FindRow = (model: string, path: Row['path'], batching: Row['batching'], c: number) => Row | undefined;

export interface Row {
  model: string;
  path: 'raw' | 'stream' | 'rest-json' | 'rest-binary' | 'grpc' | 'echo' | 'echo-tls';
  batching: 'off' | 'on' | '-';
  c: number;
  p50?: number;
  p99?: number;
  throughput?: number;
  samples?: number;
  errors?: number;
  non2xx?: number;
  /** Sessions × intra-op threads of the model (raw and served rows). */
  sessions?: number;
  threads?: number;
  /** CPU milliseconds per request each process spent (from /proc). */
  gatewayCpuMs?: number;
  workerCpuMs?: number;
  redisCpuMs?: number;
  kafkaCpuMs?: number;
  postgresCpuMs?: number;
  registryCpuMs?: number;
  /** The bench process itself: the load generator (autocannon) and the stream rows' writer. */
  loadCpuMs?: number;
  /** Why the cell has no numbers. */
  na?: string;
}

export type CpuColumn = 'gatewayCpuMs' | 'workerCpuMs' | 'redisCpuMs' | 'kafkaCpuMs' | 'postgresCpuMs' | 'registryCpuMs' | 'loadCpuMs';
const CPU_COLUMNS: [CpuColumn, string][] = [
  ['gatewayCpuMs', 'gateway'],
  ['workerCpuMs', 'worker'],
  ['redisCpuMs', 'Redis'],
  ['kafkaCpuMs', 'Kafka'],
  ['postgresCpuMs', 'Postgres'],
  ['registryCpuMs', 'registry'],
  ['loadCpuMs', 'load generator'],
];

/** Every process's CPU per request added up, and that CPU as a share of the machine's cores over the cell. */
function cpuTotals(r: Row): { total?: number; busy?: number } {
  const parts = CPU_COLUMNS.map(([column]) => r[column]);
  if (parts.some((v) => v === undefined || Number.isNaN(v))) return {};
  const total = parts.reduce((sum: number, v) => sum + (v ?? 0), 0);
  const busy = r.throughput !== undefined ? (total * r.throughput) / (1000 * cpus().length) : undefined;
  return { total, busy };
}

export interface ReportInput {
  rows: Row[];
  raw: Map<string, { batch: number; throughput: number; sessions: number; threads: number }>;
  threads: number;
  seconds: number;
  rawSeconds: number;
  machine: string;
  startedAt: Date;
  tookSeconds: number;
  heartbeat: unknown;
  models: BenchModel[];
  /** Further sections (markdown), appended after the main table's notes. */
  sections?: string[];
}

/** Renders the table and the targets, writes docs/benchmarks.md, returns the printed text. */
export function writeReport(input: ReportInput): string {
  const { rows } = input;
  const find: FindRow = (model, path, batching, c) => rows.find((r) => r.model === model && r.path === path && r.batching === batching && r.c === c);
  const table = [
    `| model | path | batching | c | sessions × threads | p50 ms | p99 ms | req/s | req/s vs raw | p50 − raw p50 | ${CPU_COLUMNS.map(([, name]) => `CPU ms/req ${name}`).join(' | ')} | CPU ms/req total | machine busy | failed |`,
    `|---|---|---|---:|---|---:|---:|---:|---:|---:|${CPU_COLUMNS.map(() => '---:|').join('')}---:|---:|---:|`,
  ];
  for (const r of rows) {
    const shape = r.sessions !== undefined ? `${r.sessions} × ${r.threads}` : '';
    if (r.na) {
      table.push(`| ${r.model} | ${r.path} | ${r.batching} | ${r.c} | ${shape} | ${r.na} | | | | |${CPU_COLUMNS.map(() => ' |').join('')} | | |`);
      continue;
    }
    const raw = r.path === 'raw' || r.path === 'echo' || r.path === 'echo-tls' ? undefined : find(r.model, 'raw', r.batching, r.c);
    const vsRaw = raw?.throughput && r.throughput !== undefined ? pct(r.throughput / raw.throughput) : '';
    const delta = raw?.p50 !== undefined && r.p50 !== undefined ? signedMs(r.p50 - raw.p50) : '';
    const failed = (r.errors ?? 0) + (r.non2xx ?? 0);
    const totals = cpuTotals(r);
    table.push(
      `| ${r.model} | ${r.path} | ${r.batching} | ${r.c} | ${shape} | ${ms(r.p50)} | ${ms(r.p99)} | ${rps(r.throughput)} | ${vsRaw} | ${delta} | ${CPU_COLUMNS.map(([column]) => cpu(r[column])).join(' | ')} | ${cpu(totals.total)} | ${totals.busy === undefined ? '' : pct(totals.busy)} | ${failed || ''} |`,
    );
  }

  const targets = benchTargets(find, input.raw);

  const printed = [
    `Falaj benchmark — ${input.startedAt.toISOString()} — ${input.machine}`,
    `onnxruntime-node ${input.threads} intra-op thread(s) in the worker and raw; ${input.seconds} s per gateway cell, ${input.rawSeconds} s per raw cell; took ${input.tookSeconds.toFixed(0)} s`,
    '',
    ...table,
    '',
    'Targets:',
    ...targets,
  ].join('\n');

  const licences = input.models.map((m) => `- \`${m.name}\`: ${m.label} — ${m.licence}`).join('\n');
  const markdown = `# Benchmarks

Written by \`npm run bench\` (tools/bench/main.ts) on ${input.startedAt.toISOString()}; the whole run took ${input.tookSeconds.toFixed(0)} s.

- **Machine**: ${input.machine}. Everything ran on it at once: PostgreSQL, Redis, the Kafka broker, the five apps, the load generator (autocannon, in the bench process), with whatever else the machine ran (its load average at the start is above), so the numbers move from run to run.
- **Command**: \`npm run bench\` (builds, starts the infrastructure with scripts/infra.sh and the five apps from \`dist/\` with FalajSuite, registers the three models over the admin API, waits until they are ready).
- **Threads**: every row that runs the model says its *sessions × threads*: the sessions are the deployment's \`instanceCount\` (set per model over the admin API: 1 for the tiny MLP, 2 for the CNNs, one per core; \`FALAJ_BENCH_INSTANCES\` sets one count for all), each with ${input.threads} onnxruntime intra-op thread(s) (\`FALAJ_INTRA_OP_THREADS\`, \`FALAJ_BENCH_THREADS\`). Raw runs make the same sessions the same way (the first on the calling thread, the others on worker threads).
- **Raw** is onnxruntime-node in the bench process, no network: batching *off* = c callers each running one item at a time on a free session; batching *on* = every session running batches of c items back to back (a perfect batcher; its latency is a batch's run time). **Gateway** rows are closed-loop HTTP load (c connections, each one request in flight) for ${input.seconds} s against \`POST /v2/models/<name>/infer\` with a bearer token: REST JSON, and Triton's binary tensor extension (\`rest-binary\`). Batching *off*/*on* is the worker's \`FALAJ_BATCHING\` switch (the worker is restarted between the two halves); batching on uses the worker's defaults (max batch 8, no queue delay).
- **stream** rows skip HTTP: the bench process writes dispatch entries straight into the pool's Redis stream and waits for the replies, as a gateway with no protocol decoding would. They measure the worker and Redis alone — the ceiling for any protocol in front, binary included.
- **Fastify echo** is a bare Fastify server in its own process answering the tiny MLP's JSON body, at c=1 and c=64: the HTTP limit of the machine. *echo* is plain HTTP (the issue's reference); *echo-tls* is the same server over TLS as the gateway serves it (the gateway's certificate, HTTP/2 by ALPN with HTTP/1.1 beside it), so the gateway's rows, which run over TLS, have a like-for-like echo.
- Latencies are per response (sub-millisecond), p99 by nearest rank. *CPU ms/req* is the user + system CPU time each process used during the cell (from \`/proc\`) — the gateway, the cpu-worker, the TLS Redis, the Kafka broker (audit events), PostgreSQL with its backends (\`scripts/infra.sh pids\`), the registry (whose audit writer takes the events from Kafka into PostgreSQL) and the load generator (the bench process) — divided by the requests served: where the time goes, and a figure the machine's other load does not inflate the way it inflates latency. *total* adds them up; *machine busy* is that total times req/s over the machine's cores: near 100 % the cell is bound by the CPU the whole path shares, whichever process spends it. The heavy model is measured at c=1 and c=8 only, to keep the run near five minutes.

${table.join('\n')}

## Targets

${targets.join('\n')}

## Reading the numbers (where the time goes)

- **The gateway's CPU per request bounds the tiny model.** The tiny MLP runs in microseconds; every
  millisecond in its rows is the serving path. Compare *CPU ms/req gateway* with the Fastify echo's
  share of a core: the gateway adds the bearer token (its signature
  verified once per token, then cached to its expiry, the revocation list checked on every use:
  see *Authentication cost per request*), OIP JSON decoding and validation, placement, a token
  bucket (one Lua call) where quotas are set, an audit event to Kafka, one enqueue script (the pool stream budget; auto-pipelined:
  the enqueues of one event-loop turn leave in one write) and one reply-stream entry per request (read by XREAD, deleted with the next read).
  The OIP infer routes are plain Fastify routes (no Nest router, guard or interceptor chain) and no
  AsyncLocalStorage is in use, so no async hooks run on any promise. Under
  \`--cpu-prof\` at c=64 what is left is flat: socket writes (TLS records to the client, Redis and
  Kafka; the kernel's loopback work is counted in them) ~20 %, GC ~7 %, ioredis, Fastify, kafkajs,
  Node's HTTP and the codec a few per cent each, no single hot spot;
  \`npm run bench:profile\` and \`FALAJ_BENCH_PROFILE=1 npm run bench:hot-path\` show each under \`--cpu-prof\`. On loopback TCP the kernel time of every
  send (the peer's receive path runs in the sender's context) is a large part of it, which is why
  c=1 costs more CPU per request than c=64, where writes coalesce.
- **JSON is the cost for real tensors.** A mid-CNN request is 27,648 numbers (~300 kB of JSON), a
  heavy one 46,080: JSON.parse in the gateway (~46 % of the gateway's CPU at c=64 in
  \`npm run bench:profile\`) costs milliseconds per request, more than the model. Binary tensors
  remove that cost; the **stream** rows (no HTTP, no decoding) are the ceiling they can reach.
- **The worker.** onnxruntime-node runs a session synchronously on the thread that calls
  it: with one instance (on the JavaScript thread) the worker neither reads the stream nor
  publishes replies while a batch runs; further instances run on worker threads, side by side.
  Per request the worker's own work (stream entry decode, signature
  check, tensor views, reply encode, an XADD per reply and one remove script per batch, pipelined) is a small part of
  *CPU ms/req worker* for the CNNs, which is mostly the model.
- **Batching.** With one intra-op thread on this CPU the CNN's per-item cost grows with the batch
  (raw *on* vs *off*), so batching gains come from amortising the per-request overhead (one run,
  one pipelined reply flush per batch), not from the model; the histogram below shows the batch
  sizes the worker actually formed.
- **Everything shares two cores**: latency percentiles, p99 above all, move with other work on the two
  cores; the CPU columns move less.

${(input.sections ?? []).join('\n\n')}

## The worker at the end of the run

Batch sizes (runs by number of requests merged) and execution times per model, from the worker's \`/health/status\` (the same fields it beats to Redis every second):

\`\`\`json
${JSON.stringify(summarizeHeartbeat(input.heartbeat), null, 2)}
\`\`\`

## Models

${licences}
`;
  const docs = join(repoRoot(), 'docs');
  mkdirSync(docs, { recursive: true });
  writeFileSync(join(docs, 'benchmarks.md'), markdown + keptSections(join(docs, 'benchmarks.md')));
  return `${printed}\n\nwrote docs/benchmarks.md`;
}

function summarizeHeartbeat(heartbeat: unknown): unknown {
  const beat = heartbeat as { models?: { model: string; stats?: unknown; loadMs?: number; provider?: string }[]; rssBytes?: number };
  return {
    rssBytes: beat.rssBytes,
    models: (beat.models ?? []).map((m) => ({ model: m.model, provider: m.provider, loadMs: m.loadMs, stats: m.stats })),
  };
}

/** Sections measured by other commands (npm run bench:hot-path, bench:redis-hot-path, bench:tls), carried over from the file being replaced. */
/** Sections written from other benches' runs (hot-path, tls, audit, edge-kit, tracing), kept when `npm run bench` rewrites the file. */
const KEPT_SECTIONS = [
  '## Cost of the hostile-input checks on the hot path',
  '## Cost of TLS on the hot path (issue 12)',
  '## The one edge, the payload policies and the audit (issue 13)',
  '## Tracing overhead: what was found (issue 16)',
  '## onnxruntime 1.29.0 against 1.30.0 (issue 15, the GPU pair)',
  "## Where the first instance runs (issue 15, the worker's event loop)",
  '## Measured by the test suites',
  "## The gateway's hot path off Nest's pipeline (issue 15, item 1)",
];

function keptSections(file: string): string {
  if (!existsSync(file)) return '';
  const old = readFileSync(file, 'utf8');
  return KEPT_SECTIONS.map((heading) => {
    const at = old.indexOf(heading);
    if (at < 0) return '';
    const next = old.indexOf('\n## ', at + heading.length);
    return `\n${old.slice(at, next < 0 ? undefined : next + 1).trimEnd()}\n`;
  }).join('');
}
