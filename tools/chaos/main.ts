import { parseFaultKinds } from './fault-schedule';
import { PrivateInfra } from './private-infra';

/**
 * `npm run chaos [-- --seconds-per-fault S --postgres-stop-seconds P --hang-seconds H --faults redis,kafka]`: the
 * whole stack on a Postgres, Redis and Kafka of its own (PrivateInfra), under the soak's mixed
 * load the whole time, through a bounded fault schedule (fault-schedule.ts); prints per fault what
 * its calls came to and exits 1 if any accepted call was lost or hung, the deployed model answered
 * 404, or an audit or job row is missing. Stops everything it started at the end and on Ctrl-C.
 */
function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? fallback : Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} N: N must be a positive number`);
  return value;
}

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    process.stdout.write('npm run chaos -- [--seconds-per-fault S (45)] [--postgres-stop-seconds P (30)] [--hang-seconds H (45)] [--faults worker,router,redis,kafka,postgres (all)]\n');
    return 0;
  }
  const at = process.argv.indexOf('--faults');
  const options = {
    faults: parseFaultKinds(at === -1 ? undefined : process.argv[at + 1]),
    secondsPerFault: flag('seconds-per-fault', 45),
    postgresStopSeconds: flag('postgres-stop-seconds', 30),
    hangSeconds: flag('hang-seconds', 45),
  };
  const infra = new PrivateInfra();
  let stopping = false;
  const stopAll = async (suite?: { stop(): Promise<unknown> }) => {
    if (stopping) return;
    stopping = true;
    await suite?.stop().catch(() => undefined);
    await infra.down();
  };
  let running: { stop(): Promise<unknown> } | undefined;
  process.once('SIGINT', () => {
    process.stdout.write('\nchaos: Ctrl-C: stopping the apps and the private Postgres, Redis and Kafka\n');
    void stopAll(running).finally(() => process.exit(130));
  });
  try {
    await infra.up((line) => process.stdout.write(`chaos: ${line}\n`));
    // Before the harness is loaded: FalajSuite and the Kafka helpers read these when imported.
    Object.assign(process.env, infra.env());
    const { runChaos } = await import('./chaos-run');
    return await runChaos(infra, options, (suite) => (running = suite));
  } finally {
    await stopAll(running);
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`chaos failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
