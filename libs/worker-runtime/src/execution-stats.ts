/** Execution times kept per version for percentiles: the latest runs, a fixed ring. */
const WINDOW = 512;

export interface ExecutionStatsSnapshot {
  /** Runs (batches) since the version was loaded. */
  executions: number;
  /** Requests served, summed over the runs. */
  requests: number;
  /** Over the latest runs; absent before the first. */
  p50Ms?: number;
  p95Ms?: number;
  /** Runs by their size in requests: `{ "1": 120, "8": 30 }`. */
  batchSizes: Record<string, number>;
  /** Merged runs that failed and were retried one request at a time. */
  fallbacks: number;
}

/** Per-version run times and batch sizes, cheap to record on the hot path (no allocation). */
export class ExecutionStats {
  private readonly times = new Float64Array(WINDOW);
  private next = 0;
  private filled = 0;
  private executions = 0;
  private requests = 0;
  private fallbacks = 0;
  private readonly sizes = new Map<number, number>();

  record(ms: number, batchRequests: number): void {
    this.times[this.next] = ms;
    this.next = (this.next + 1) % WINDOW;
    if (this.filled < WINDOW) this.filled++;
    this.executions++;
    this.requests += batchRequests;
    this.sizes.set(batchRequests, (this.sizes.get(batchRequests) ?? 0) + 1);
  }

  recordFallback(): void {
    this.fallbacks++;
  }

  snapshot(): ExecutionStatsSnapshot {
    const snapshot: ExecutionStatsSnapshot = {
      executions: this.executions,
      requests: this.requests,
      fallbacks: this.fallbacks,
      batchSizes: Object.fromEntries([...this.sizes].sort(([a], [b]) => a - b).map(([k, v]) => [String(k), v])),
    };
    if (this.filled > 0) {
      const sorted = this.times.slice(0, this.filled).sort();
      snapshot.p50Ms = round(percentile(sorted, 0.5));
      snapshot.p95Ms = round(percentile(sorted, 0.95));
    }
    return snapshot;
  }
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;
