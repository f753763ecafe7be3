/** How the bench's tables print a cell: milliseconds, requests per second, CPU, a share. */
export const ms = (v?: number) => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(2));
export const rps = (v?: number) => (v === undefined ? '–' : v.toFixed(0));
export const cpu = (v?: number) => (v === undefined || Number.isNaN(v) ? '' : v.toFixed(2));
export const pct = (v: number) => `${(v * 100).toFixed(0)} %`;
/** A difference in milliseconds with its sign (a batched raw run can take longer than a served request's wait). */
export const signedMs = (v: number) => `${v < 0 ? '−' : '+'}${Math.abs(v).toFixed(2)} ms`;
