import { cpus, loadavg } from 'node:os';
import { authCostNotes, authCostTable, measureAuthCost } from './auth-cost';

/**
 * `npm run bench:auth`: only the authentication cost per request (auth-cost.ts), in process,
 * printed to stdout; docs/benchmarks.md is left as it is (`npm run bench` writes it).
 */
async function main(): Promise<void> {
  const load1 = loadavg()[0];
  const started = performance.now();
  const report = await measureAuthCost();
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, load average ${load1.toFixed(2)} at start`;
  process.stdout.write(
    `Authentication cost per request — ${new Date().toISOString()} — ${machine}; took ${((performance.now() - started) / 1000).toFixed(1)} s\n\n${authCostTable(report)}\n\n${authCostNotes(report)}\n`,
  );
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`bench:auth failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
