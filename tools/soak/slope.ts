/** One sampled series: (time in ms, value). */
export type Series = ReadonlyArray<readonly [number, number]>;

/** The least-squares slope of a series, per minute; NaN with fewer than two distinct times. */
export function slopePerMinute(series: Series): number {
  const n = series.length;
  if (n < 2) return NaN;
  const meanT = series.reduce((sum, [t]) => sum + t, 0) / n;
  const meanV = series.reduce((sum, [, v]) => sum + v, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const [t, v] of series) {
    covariance += (t - meanT) * (v - meanV);
    variance += (t - meanT) ** 2;
  }
  return variance === 0 ? NaN : (covariance / variance) * 60_000;
}

/**
 * The part of a series a verdict is taken on: after the warm-up (caches fill, the JIT settles,
 * TTL-bounded stores reach their plateau), the second half of the run.
 */
export function afterWarmUp(series: Series): Series {
  if (series.length === 0) return series;
  const start = series[0][0];
  const end = series[series.length - 1][0];
  const from = start + (end - start) / 2;
  return series.filter(([t]) => t >= from);
}

export interface Growth {
  first: number;
  last: number;
  max: number;
  /** Per minute, over the second half. */
  slope: number;
}

export function growthOf(series: Series): Growth {
  const values = series.map(([, v]) => v);
  return { first: values[0] ?? NaN, last: values[values.length - 1] ?? NaN, max: values.length ? Math.max(...values) : NaN, slope: slopePerMinute(afterWarmUp(series)) };
}
