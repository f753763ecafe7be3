// Its Redis keys (shadowReportKey, shadowLatencyKey) live in libs/contracts with every other key.
/** Latency samples kept per side: the report's percentiles are over the most recent ones. */
export const SHADOW_SAMPLES = 2000;

export interface ShadowCounters {
  pairs: number;
  exact: number;
  argmax: number;
  shadowErrors: number;
  maxAbsDiff: number;
}

const percentile = (sorted: number[], p: number): number | null => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);

const round = (n: number | null) => (n === null ? null : Math.round(n * 1000) / 1000);

/** The report served per deployment: counts, agreement rates, p50/p95 of both sides and of the delta. */
export function shadowReport(shadowVersion: number, counters: ShadowCounters, primaryMs: number[], shadowMs: number[]) {
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
  const p = sorted(primaryMs);
  const s = sorted(shadowMs);
  // Samples are pushed in pairs, so the i-th of each list belong to the same request.
  const deltas = sorted(shadowMs.slice(0, primaryMs.length).map((ms, i) => ms - primaryMs[i]));
  const compared = counters.pairs;
  return {
    shadowVersion,
    pairs: compared,
    shadowErrors: counters.shadowErrors,
    exactMatches: counters.exact,
    argmaxAgreements: counters.argmax,
    exactMatchRate: compared === 0 ? null : round(counters.exact / compared),
    agreementRate: compared === 0 ? null : round(counters.argmax / compared),
    maxAbsDiff: compared === 0 ? null : counters.maxAbsDiff,
    latencyMs: {
      primary: { p50: round(percentile(p, 50)), p95: round(percentile(p, 95)) },
      shadow: { p50: round(percentile(s, 50)), p95: round(percentile(s, 95)) },
      delta: { p50: round(percentile(deltas, 50)), p95: round(percentile(deltas, 95)) },
    },
  };
}
export type ShadowReport = ReturnType<typeof shadowReport>;
