import type { Command } from 'commander';
import { short, renderTable } from '../output';
import type { Runtime } from '../runtime';

export interface AuditRecord {
  eventId: string;
  requestId: string;
  model: string;
  version: number | null;
  pool: string | null;
  protocol: string;
  status: number;
  error: string | null;
  latencyMs: number | null;
  subject: string;
  servedRegion: string | null;
  occurredAt: string;
}

export function registerAudit(program: Command, rt: Runtime): void {
  program
    .command('audit')
    .option('--model <name>', 'only calls of this model')
    .option('--request-id <id>', 'only the calls with this request id')
    .option('--limit <n>', 'at most this many, newest first (1…1000)', '50')
    .description("the tenant's own audit log: one row per inference call, newest first")
    .action(async (options: { model?: string; requestId?: string; limit: string }) => {
      const page = await rt.client().json<{ records: AuditRecord[] }>('GET', '/admin/audit', { query: { model: options.model, requestId: options.requestId, limit: options.limit }, what: 'read the audit log' });
      rt.print(page, () =>
        renderTable(
          ['when', 'model', 'version', 'protocol', 'status', 'ms', 'pool', 'subject', 'request id'],
          page.records.map((r) => [r.occurredAt, r.model, r.version, r.protocol, r.error ? `${r.status} ${r.error.slice(0, 40)}` : r.status, short(r.latencyMs, 1), r.pool, r.subject, r.requestId]),
        ),
      );
    });
}
