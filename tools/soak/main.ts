import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { FalajSuite, repoRoot, TEST_KAFKA, trustTestCa } from '@falaj/testing';
import type { AppName } from '@falaj/testing';
import { LoadMix, mixRatesFromEnv, type MixRates } from './load-mix';
import { establishedByPid, sampleProcess, type BackbonePorts, type ProcessSample } from './process-sampler';
import { redisCensus, type Census } from './redis-census';
import { writeSoakReport, type SoakRun } from './soak-report';
import { tenantServingTinyMlp } from './tiny-mlp-tenant';

/**
 * `npm run soak -- --minutes N`: the whole stack (the built apps on the real Redis, Kafka and
 * Postgres) under a moderate, steady mix for N minutes, sampled every FALAJ_SOAK_SAMPLE_SECONDS:
 * every app's RSS, V8 heap, file descriptors and connections to Redis, Kafka and Postgres, and a
 * census of the stack's Redis keys. Prints each figure's slope over the second half of the run
 * and writes the Soak section of docs/reliability.md.
 */
const APPS: AppName[] = ['gateway', 'registry', 'router', 'cpu-worker'];
const SAMPLE_SECONDS = Number(process.env.FALAJ_SOAK_SAMPLE_SECONDS ?? 15);
/** Short, so that the idempotency store reaches its plateau early in the run. */
const IDEMPOTENCY_TTL_SECONDS = 120;

function argMinutes(): number {
  const at = process.argv.indexOf('--minutes');
  const minutes = Number(at === -1 ? (process.env.FALAJ_SOAK_MINUTES ?? 5) : process.argv[at + 1]);
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error('--minutes N: N must be a positive number');
  return minutes;
}

const RATES: MixRates = mixRatesFromEnv('FALAJ_SOAK', { rest: 40, restIdempotent: 10, grpc: 20, kafka: 20, jobRows: 200, jobEverySeconds: 60 });

async function main(): Promise<void> {
  const minutes = argMinutes();
  const startedAt = new Date();
  step('infrastructure (scripts/infra.sh up)');
  if (spawnSync('bash', ['scripts/infra.sh', 'up'], { cwd: repoRoot(), stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) throw new Error('scripts/infra.sh up failed');
  trustTestCa();
  const suite = new FalajSuite();
  const probeDir = join(suite.workDir, 'probes');
  mkdirSync(probeDir, { recursive: true });
  const probe = ['--require', join(repoRoot(), 'dist-bench/tools/soak/memory-probe.js')];
  const probeEnv = { FALAJ_SOAK_PROBE_DIR: probeDir };
  const ports: BackbonePorts = {
    redis: Number(new URL(suite.redis.url).port),
    kafka: Number(TEST_KAFKA.brokers[0].split(':').pop()),
    postgres: Number(new URL(suite.databaseUrl).port || 5432),
  };
  const run: SoakRun = { startedAt, minutes, rates: RATES, samples: [], census: [], counts: undefined, machine: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}`, loadBefore: loadavg()[0] };
  try {
    step('five apps from dist, each with the memory probe');
    await suite.start({
      env: Object.fromEntries(APPS.map((app) => [app, { ...probeEnv, ...(app === 'gateway' ? { FALAJ_IDEMPOTENCY_TTL_SECONDS: String(IDEMPOTENCY_TTL_SECONDS) } : {}) }])),
      nodeArgs: Object.fromEntries(APPS.map((app) => [app, probe])),
    });
    const client = await tenantServingTinyMlp(suite, 'soak');

    step(`load for ${minutes} min: ${JSON.stringify(RATES)}`);
    const mix = new LoadMix(suite, 'soak', 'tiny-mlp', () => suite.clientToken(client));
    await mix.start(RATES);
    const redis = suite.adminRedis('soak-census');
    const began = Date.now();
    const end = began + minutes * 60_000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(SAMPLE_SECONDS * 1000, Math.max(0, end - Date.now()))));
      const at = Date.now();
      const established = establishedByPid(ports);
      const perApp: Record<string, ProcessSample> = {};
      for (const app of APPS) {
        const pid = suite.app(app).pid;
        if (pid !== undefined) perApp[app] = sampleProcess(pid, ports, established, probeDir);
      }
      run.samples.push({ at, apps: perApp });
      const census: Census = await redisCensus(redis, suite.prefix);
      run.census.push({ at, census });
      const c = mix.counts;
      process.stdout.write(
        `  ${((at - began) / 60_000).toFixed(1)} min: rest ${c.rest.ok}/${c.rest.sent}, grpc ${c.grpc.ok}/${c.grpc.sent}, kafka ${c.kafka.ok}/${c.kafka.sent}, jobs ${c.jobs.ok}/${c.jobs.sent}; gateway RSS ${mib(perApp.gateway?.rssBytes)} MiB\n`,
      );
    }
    await mix.stop();
    redis.disconnect();
    run.counts = mix.counts;
    run.loadAfter = loadavg()[0];
  } finally {
    await suite.stop();
  }
  const report = writeSoakReport(run, join(repoRoot(), 'docs/reliability.md'));
  process.stdout.write(`\n${report}\n`);
}

const mib = (bytes: number | undefined) => (bytes === undefined ? '?' : (bytes / 2 ** 20).toFixed(1));

function step(what: string): void {
  process.stdout.write(`soak: ${what}\n`);
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`soak failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
