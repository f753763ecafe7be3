import { Readable } from 'node:stream';
import type { AuditScope } from './audit-query.policy';

/** One audit row as the API shows it (JSON pages, NDJSON lines and CSV rows alike). */
export interface AuditRecordView {
  eventId: string;
  requestId: string;
  residencyRegion: string;
  tenantId: string;
  subject: string;
  model: string;
  version: number | null;
  pool: string | null;
  protocol: string;
  status: number;
  error: string | null;
  latencyMs: number;
  servedRegion: string | null;
  placement: string | null;
  occurredAt: string;
}

/** The CSV's columns, in order: the view's fields. */
export const AUDIT_CSV_COLUMNS: readonly (keyof AuditRecordView)[] = [
  'occurredAt',
  'eventId',
  'requestId',
  'tenantId',
  'residencyRegion',
  'subject',
  'model',
  'version',
  'pool',
  'protocol',
  'status',
  'error',
  'latencyMs',
  'servedRegion',
  'placement',
];

/**
 * A CSV cell (RFC 4180). Text from callers (request ids, subjects, model names, errors) may start
 * like a formula: a cell starting with = + - @, a tab or a carriage return is prefixed with `'`
 * so a spreadsheet shows it as text (OWASP, CSV injection). Quoted when it holds a quote, a comma,
 * a line break, or was prefixed; numbers and empty cells are written as they are.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return text !== value || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvHeader = (): string => `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;

/** Rows end in CRLF, as RFC 4180 has it; a line break inside a cell is kept, quoted. */
export const csvRows = (records: readonly AuditRecordView[]): string => records.map((record) => `${AUDIT_CSV_COLUMNS.map((column) => csvCell(record[column])).join(',')}\r\n`).join('');

export const ndjsonRows = (records: readonly AuditRecordView[]): string => records.map((record) => `${JSON.stringify(record)}\n`).join('');

export const EXPORT_FORMATS = {
  ndjson: { contentType: 'application/x-ndjson', header: () => '', rows: ndjsonRows },
  csv: { contentType: 'text/csv; charset=utf-8; header=present', header: csvHeader, rows: csvRows },
} as const;

/** `attachment; filename="audit-acme-20261202T055100Z.csv"` (`all` for every tenant): only safe characters, so no quoting to get wrong. */
export function exportDisposition(scope: AuditScope, format: keyof typeof EXPORT_FORMATS, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `attachment; filename="audit-${scope.tenantId ?? 'all'}-${stamp}.${format}"`;
}

/**
 * The export's body over the reader's batches. The first batch is read before it returns, so a
 * bad cursor or Postgres away is still a status rather than a cut 200; after that one batch is
 * read ahead at most, the next only as the client takes this one (backpressure), so an export
 * of any size holds a batch or two in memory. A client that goes away ends the reading.
 */
export async function openExport(batches: AsyncGenerator<AuditRecordView[]>, format: keyof typeof EXPORT_FORMATS): Promise<Readable> {
  const { header, rows } = EXPORT_FORMATS[format];
  const first = await batches.next();
  async function* body() {
    const head = header();
    if (head) yield head;
    if (first.done) return;
    yield rows(first.value);
    for await (const batch of batches) yield rows(batch);
  }
  return Readable.from(body(), { highWaterMark: 1 });
}
