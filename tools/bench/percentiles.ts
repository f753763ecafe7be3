export interface Measured {
  p50: number;
  p99: number;
  /** Requests (items) per second. */
  throughput: number;
  samples: number;
}

/** p50, p99 (nearest rank) of latencies in ms, and the throughput over `seconds`. */
export function summarize(latencies: number[], items: number, seconds: number): Measured {
  const sorted = Float64Array.from(latencies).sort();
  const at = (q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
  return { p50: at(0.5), p99: at(0.99), throughput: items / seconds, samples: sorted.length };
}
