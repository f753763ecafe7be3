import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { FalajSuite, trustTestCa } from '@falaj/testing';
import { LoadMix, mixRatesFromEnv, type MixRates } from '../soak/load-mix';
import { tenantServingTinyMlp } from '../soak/tiny-mlp-tenant';
import { CallLedger } from './call-ledger';
import { faultTable, violations, type FaultRow } from './chaos-report';
import { faultSchedule, type FaultKind } from './fault-schedule';
import { groupByWindow, type FaultWindow } from './fault-window';
import { finalOutcome, tally } from './outcome';
import type { PrivateInfra } from './private-infra';
import { duplicatedRuns, duplicatesByDispatcher, runsPerRequest } from './run-count';

export interface ChaosOptions {
  faults: FaultKind[];
  secondsPerFault: number;
  postgresStopSeconds: number;
  hangSeconds: number;
}

const TENANT = 'chaos';
/** Moderate: the run shares a small machine with the apps, three brokers' worth of services and other people's work. */
const RATES: MixRates = mixRatesFromEnv('FALAJ_CHAOS', { rest: 10, restBinary: 5, restIdempotent: 5, grpc: 5, kafka: 5, jobRows: 50, jobEverySeconds: 10 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const step = (what: string) => process.stdout.write(`chaos: ${what}\n`);

export async function runChaos(infra: PrivateInfra, options: ChaosOptions, started: (suite: FalajSuite) => void): Promise<number> {
  trustTestCa();
  const suite = new FalajSuite();
  started(suite);
  step('five apps from dist (two cpu-workers) on the private backbone');
  // Each worker notes every model run (RunLedger): the duplicated-runs figure.
  const ledgers = [1, 2].map((n) => join(infra.root, `runs-cpu-worker-${n}.log`));
  await suite.start({ cpuWorkers: 2, cpuWorkerEnv: ledgers.map((file) => ({ FALAJ_RUN_LEDGER_FILE: file })) });
  const client = await tenantServingTinyMlp(suite, TENANT);
  const began = Date.now();
  const ledger = new CallLedger(began);
  const mix = new LoadMix(suite, TENANT, 'tiny-mlp', () => suite.clientToken(client), ledger, 'chaos');
  step(`load: ${JSON.stringify(RATES)}; ${options.secondsPerFault} s per fault`);
  await mix.start(RATES);
  const at = () => Date.now() - began;
  const windows: FaultWindow[] = [];
  const faults = faultSchedule(suite, infra, options.postgresStopSeconds, options.faults);
  await sleep(options.secondsPerFault * 1000);
  windows.push({ name: 'baseline (no fault)', from: 0, to: at() });
  for (const fault of faults) {
    const from = at();
    step(`${fault.name}`);
    // A little steady load first, so the fault lands on calls in flight.
    await sleep(2000);
    await fault.inject();
    step(`  injected at +${((at() - from) / 1000).toFixed(1)} s; ${ledger.unsettled} call(s) awaiting an answer`);
    await sleep(Math.max(5000, from + options.secondsPerFault * 1000 - at()));
    await fault.heal?.();
    windows.push({ name: fault.name, from, to: at() });
  }
  step(`load stopped; waiting up to ${options.hangSeconds} s for ${ledger.unsettled} call(s) in flight`);
  await mix.stop(options.hangSeconds * 1000 + 5000);
  const hangMs = options.hangSeconds * 1000;
  const ranText = ledgers.map((file) => readLedger(file)).join('\n');
  const runs = runsPerRequest(ranText);
  const rows = await figures(suite, ledger, windows, hangMs, runs);
  const table = faultTable(rows);
  const failed = violations(rows);
  const load = loadavg()[0].toFixed(2);
  process.stdout.write(`\n${table}\n\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load average now ${load}\n`);
  process.stdout.write(
    `model runs noted by the workers: ${[...runs.values()].reduce((a, b) => a + b, 0)} for ${runs.size} request ids (duplicated runs per fault in the table; the repeats by dispatching app: ${JSON.stringify(duplicatesByDispatcher(ranText))})\n`,
  );
  const jobs = mix.counts.jobs;
  process.stdout.write(`batch jobs: ${jobs.sent} submitted, ${jobs.ok} completed with every row answered, ${jobs.failed} not (${JSON.stringify(jobs.why)})\n`);
  for (const refused of ledger.refusedJobs) {
    const window = windows.find((w) => refused.at >= w.from && refused.at < w.to)?.name ?? windows[windows.length - 1].name;
    process.stdout.write(
      `batch job submission refused in '${window}' at +${(refused.at / 1000).toFixed(1)} s: HTTP ${refused.status}${refused.retryAfter ? ` Retry-After ${refused.retryAfter}` : ''} ${refused.error.slice(0, 160)}\n`,
    );
  }
  process.stdout.write(`failure reasons: ${JSON.stringify(reasons(ledger, hangMs))}\n`);
  if (failed.length > 0) process.stdout.write(`\nchaos: FAILED\n${failed.map((f) => `  - ${f}`).join('\n')}\n`);
  else process.stdout.write('\nchaos: every must-be-0 figure is 0\n');
  return failed.length > 0 ? 1 : 0;
}

/** A worker's run ledger; empty when that worker never ran anything (no file). */
function readLedger(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Per window: the calls' tally, and what Postgres holds of them once the audit has caught up. */
async function figures(suite: FalajSuite, ledger: CallLedger, windows: FaultWindow[], hangMs: number, runs: ReadonlyMap<string, number>): Promise<FaultRow[]> {
  const byWindow = groupByWindow(windows, ledger.records.values());
  const answeredIds = (name: string) =>
    byWindow
      .get(name)!
      .filter((r) => finalOutcome(r, hangMs) === 'ok')
      .map((r) => r.id);
  const allAnswered = windows.flatMap((w) => answeredIds(w.name));
  // Audit events travel gateway spool → Kafka → registry → Postgres: give them time to land.
  const deadline = Date.now() + 120_000;
  let audit = await auditCounts(suite, allAnswered);
  while (audit.size < allAnswered.length && Date.now() < deadline) {
    await sleep(3000);
    audit = await auditCounts(suite, allAnswered);
  }
  const jobIds = ledger.jobs.map((j) => j.id);
  const jobRows = new Set((await suite.query<{ id: string }>('SELECT id FROM batch_jobs WHERE id = ANY($1::uuid[])', [jobIds])).map((r) => r.id));
  return windows.map((w) => {
    const ids = answeredIds(w.name);
    const present = ids.filter((id) => audit.has(id));
    const jobs = ledger.jobs.filter((j) => j.at >= w.from && (j.at < w.to || w === windows[windows.length - 1]));
    return {
      fault: w.name,
      calls: tally(byWindow.get(w.name)!, hangMs),
      audit: { expected: ids.length, present: present.length, duplicates: present.reduce((n, id) => n + audit.get(id)! - 1, 0) },
      jobs: { expected: jobs.length, present: jobs.filter((j) => jobRows.has(j.id)).length },
      duplicatedRuns: duplicatedRuns(
        byWindow.get(w.name)!.map((r) => r.id),
        runs,
      ),
    };
  });
}

async function auditCounts(suite: FalajSuite, ids: string[]): Promise<Map<string, number>> {
  const rows = await suite
    .query<{ request_id: string; n: string }>('SELECT request_id, count(*) AS n FROM audit_log WHERE tenant_id = $1 AND request_id = ANY($2::text[]) GROUP BY request_id', [TENANT, ids])
    .catch(() => []);
  return new Map(rows.map((r) => [r.request_id, Number(r.n)]));
}

/** What the calls that were not answered got, by part and reason, so a figure can be traced. */
function reasons(ledger: CallLedger, hangMs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of ledger.records.values()) {
    const outcome = finalOutcome(r, hangMs);
    if (outcome === 'ok') continue;
    const how = !r.how
      ? 'no answer'
      : r.how.kind === 'http'
        ? `HTTP ${r.how.status}${r.how.retryAfter ? ' Retry-After' : ''}`
        : r.how.kind === 'grpc'
          ? `gRPC ${r.how.code} ${r.how.message.slice(0, 50)}`
          : r.how.kind === 'kafka'
            ? `reply ${r.how.status}`
            : `${r.how.code} ${r.how.message.slice(0, 40)}`;
    const key = `${outcome}: ${r.part}: ${how}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
