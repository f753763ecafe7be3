import Table from 'cli-table3';

/** A table for people: plain borders, no colours (so it reads the same in a log); no head row when `head` is empty. */
export function renderTable(head: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const table = new Table({ head, style: { head: [], border: [], compact: true }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' } });
  for (const row of rows) table.push(row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))));
  return table.toString();
}

/** JSON for scripts: the API's own shape, two-space indented, one trailing newline. */
export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A number cut to what a person reads: 3 significant decimals at most. */
export function short(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '-';
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(digits)));
}

/** A tensor's data for a table cell: flattened, the first `max` values, then how many more. */
export function preview(data: unknown, max = 8): string {
  const flat = Array.isArray(data) ? (data.flat(Infinity) as unknown[]) : [data];
  const shown = flat.slice(0, max).map((v) => (typeof v === 'number' ? short(v, 4) : JSON.stringify(v)));
  return `[${shown.join(', ')}${flat.length > max ? `, … ${flat.length - max} more` : ''}]`;
}

/** Seconds for people: 42 s, 3 m 05 s, 1 h 02 m. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '-';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} m`;
}
