import type { Tally } from './outcome';

/** One fault's figures: the calls sent while it ran, and what Postgres holds of them after the run. */
export interface FaultRow {
  fault: string;
  calls: Tally;
  /** Audit rows owed (one per answered call) and those present, by request id; rows beyond one per id. */
  audit: { expected: number; present: number; duplicates: number };
  /** Batch jobs the gateway accepted (201) and the rows of them in batch_jobs. */
  jobs: { expected: number; present: number };
  /** Model runs beyond the first per request id sent in the window, from the workers' run ledgers. */
  duplicatedRuns: number;
}

/** The figures that must be 0 for every fault, and the run fails when one is not. */
export function violations(rows: readonly FaultRow[]): string[] {
  const found: string[] = [];
  for (const row of rows) {
    if (row.calls.lost > 0) found.push(`${row.fault}: ${row.calls.lost} accepted call(s) lost`);
    if (row.calls.hung > 0) found.push(`${row.fault}: ${row.calls.hung} call(s) hung`);
    if (row.calls.notFound > 0) found.push(`${row.fault}: ${row.calls.notFound} 404 answer(s) for the deployed model`);
    if (row.audit.present < row.audit.expected) found.push(`${row.fault}: ${row.audit.expected - row.audit.present} audit row(s) missing`);
    if (row.jobs.present < row.jobs.expected) found.push(`${row.fault}: ${row.jobs.expected - row.jobs.present} job row(s) missing`);
  }
  return found;
}

/** The per-fault table, as Markdown (printed and written to docs/reliability.md). */
export function faultTable(rows: readonly FaultRow[]): string {
  const head =
    '| fault | accepted | answered | retryable error | refused (not accepted) | other failure | lost | hung | 404 | audit rows expected → present (dup) | job rows expected → present | duplicated model runs |';
  const rule = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|';
  const lines = rows.map((r) => {
    const c = r.calls;
    return `| ${r.fault} | ${c.accepted} | ${c.ok} | ${c.retryable} | ${c.refused} | ${c.failed} | ${c.lost} | ${c.hung} | ${c.notFound} | ${r.audit.expected} → ${r.audit.present} (${r.audit.duplicates}) | ${r.jobs.expected} → ${r.jobs.present} | ${r.duplicatedRuns} |`;
  });
  return [head, rule, ...lines].join('\n');
}
