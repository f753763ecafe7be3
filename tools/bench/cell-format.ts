/** How the bench's tables print a cell: milliseconds, requests per second, CPU, a share. */
export const ms = (v?: number) => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(2));
export const rps = (v?: number) => (v === undefined ? '–' : v.toFixed(0));
export const cpu = (v?: number) => (v === undefined || Number.isNaN(v) ? '' : v.toFixed(2));
export const pct = (v: number) => `${(v * 100).toFixed(0)} %`;
