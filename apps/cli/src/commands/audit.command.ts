import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { CliError } from '../cli-error';
import { short, renderTable } from '../output';
import type { Runtime } from '../runtime';

export interface AuditRecord {
  eventId: string;
  requestId: string;
  tenantId: string;
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

interface AuditOptions {
  model?: string;
  version?: string;
  status?: string;
  protocol?: string;
  from?: string;
  to?: string;
  requestId?: string;
  tenant?: string;
  cursor?: string;
  limit?: string;
  format?: string;
  output?: string;
}

const FORMATS = ['ndjson', 'csv'];

export function registerAudit(program: Command, rt: Runtime): void {
  program
    .command('audit')
    .option('--model <name>', 'only calls of this model')
    .option('--version <n>', 'only calls answered by this version')
    .option('--status <code>', 'only this status (404) or class of them (5xx)')
    .option('--protocol <name>', 'only calls over rest, grpc, kafka, batch or async')
    .option('--from <iso>', 'from this instant on (ISO 8601 with offset, or a date)')
    .option('--to <iso>', 'before this instant')
    .option('--request-id <id>', 'only the calls with this request id')
    .option('--tenant <id>', "platform admin: this tenant's calls only (a tenant's account: its own only)")
    .option('--cursor <cursor>', 'the next page of the same query (printed after each page)')
    .option('--limit <n>', 'a page: at most this many, newest first (1…1000); an export: all unless given')
    .option('--format <ndjson|csv>', 'export every matching row, streamed (to stdout, or --output)')
    .option('-o, --output <file>', 'with --format: write the export to this file')
    .description("the audit log, newest first: the tenant's own calls (the platform admin's: every tenant's); pages, or an NDJSON/CSV export")
    .action(async (options: AuditOptions) => {
      const query = {
        model: options.model,
        version: options.version,
        status: options.status,
        protocol: options.protocol,
        from: options.from,
        to: options.to,
        requestId: options.requestId,
        tenant: options.tenant,
        cursor: options.cursor,
      };
      if (options.format !== undefined) return exportAudit(rt, { ...query, limit: options.limit, format: options.format }, options);
      if (options.output !== undefined) throw CliError.usage('--output writes an export', 'add --format ndjson or --format csv');
      const page = await rt
        .client()
        .json<{ records: AuditRecord[]; nextCursor: string | null }>('GET', '/admin/audit', { query: { ...query, limit: options.limit ?? '50' }, what: 'read the audit log' });
      rt.print(
        page,
        () =>
          renderTable(
            ['when', 'tenant', 'model', 'version', 'protocol', 'status', 'ms', 'pool', 'subject', 'request id'],
            page.records.map((r) => [
              r.occurredAt,
              r.tenantId,
              r.model,
              r.version,
              r.protocol,
              r.error ? `${r.status} ${r.error.slice(0, 40)}` : r.status,
              short(r.latencyMs, 1),
              r.pool,
              r.subject,
              r.requestId,
            ]),
          ) + (page.nextCursor ? `\nmore: the same command with --cursor ${page.nextCursor}` : ''),
      );
    });
}

/** Streamed to the file or stdout as it comes: an export may be far larger than memory. */
async function exportAudit(rt: Runtime, query: Record<string, string | undefined>, options: AuditOptions): Promise<void> {
  if (!FORMATS.includes(options.format!)) throw CliError.usage(`--format ${options.format}: not an export format`, 'use --format ndjson or --format csv');
  const client = rt.client();
  const what = 'export the audit log';
  const response = await client.open('GET', '/admin/audit', { query, what, headers: { accept: options.format === 'csv' ? 'text/csv' : 'application/x-ndjson' } });
  if (response.statusCode >= 400) throw client.refusal({ status: response.statusCode, headers: response.headers, body: Buffer.from(await response.body.arrayBuffer()) }, what);
  if (options.output) return void (await pipeline(response.body, createWriteStream(options.output)));
  await pipeline(response.body, process.stdout, { end: false });
}
