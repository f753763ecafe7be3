import type { Command } from 'commander';
import { CliError } from '../cli-error';
import { renderTable, short } from '../output';
import type { Runtime } from '../runtime';
import type { AuditRecord } from './audit.command';
import { loadOf, type ModelLoad } from './load';

interface TopOptions {
  window: string;
  interval: string;
  once?: boolean;
  model?: string;
}

const render = (rows: ModelLoad[], windowSeconds: number): string =>
  `${renderTable(
    ['model', 'version', 'req/s', 'requests', '5xx', '4xx', 'p50 ms', 'p95 ms', 'p99 ms'],
    rows.map((r) => [r.model, r.version, short(r.perSecond, 1), r.requests, r.errors, r.refused, short(r.p50Ms, 1), short(r.p95Ms, 1), short(r.p99Ms, 1)]),
  )}\nlast ${windowSeconds} s, from the audit log (${new Date().toISOString()})`;

export function registerTop(program: Command, rt: Runtime): void {
  program
    .command('top')
    .option('--window <seconds>', 'the span each figure covers', '10')
    .option('--interval <seconds>', 'how often it is redrawn', '2')
    .option('--model <name>', 'only this model')
    .option('--once', 'print once and exit (for scripts)')
    .description('live per-model load of the tenant (req/s, errors, p50/p95/p99 by version), from its audit log; needs audit:read')
    .action(async (options: TopOptions) => {
      const windowSeconds = Number(options.window);
      const intervalMs = Number(options.interval) * 1000;
      if (!(windowSeconds > 0) || !(intervalMs > 0)) throw CliError.usage('--window and --interval are seconds above 0');
      const client = rt.client();
      const tty = process.stdout.isTTY === true && !rt.json;
      for (;;) {
        // 1000 is the audit API's page limit: past ~100 req/s over a 10 s window the figures cover less than the window.
        const { records } = await client.json<{ records: AuditRecord[] }>('GET', '/admin/audit', { query: { model: options.model, limit: 1000 }, what: 'read the audit log' });
        const rows = loadOf(records, Date.now(), windowSeconds);
        const view = { windowSeconds, at: new Date().toISOString(), models: rows };
        if (rt.json) rt.write(`${JSON.stringify(view)}\n`);
        else rt.write(`${tty ? '\x1b[2J\x1b[H' : ''}${render(rows, windowSeconds)}\n`);
        if (options.once) return;
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    });
}
