/** One audit row as the admin API returns it (the fields the console reads). */
export interface AuditRecord {
  eventId: string;
  requestId: string;
  tenantId: string;
  model: string;
  version: number | null;
  protocol: string;
  status: number;
  error: string | null;
  latencyMs: number | null;
  subject: string;
  occurredAt: string;
}

export interface LoadPoint {
  /** Seconds since the epoch, the end of a one-second bucket. */
  at: number;
  perSecond: number;
}

export interface VersionLoad {
  version: string;
  requests: number;
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Requests in each `bucketSeconds` bucket across the window, oldest first. */
  series: number[];
}

const percentile = (sorted: number[], p: number): number | null =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/**
 * The load of one model by version over the last `windowSeconds`, bucketed for a chart, from the
 * tenant's audit rows (one per call): the same source as the CLI's `top`, since the gateway's
 * Prometheus metrics are for operators (workers:read) and never read from a browser.
 */
export function loadByVersion(records: AuditRecord[], model: string, now: number, windowSeconds: number, bucketSeconds: number): { buckets: number[]; versions: VersionLoad[] } {
  const buckets = Math.ceil(windowSeconds / bucketSeconds);
  const start = now - buckets * bucketSeconds * 1000;
  const edges = Array.from({ length: buckets }, (_, i) => Math.floor((start + (i + 1) * bucketSeconds * 1000) / 1000));
  const groups = new Map<string, AuditRecord[]>();
  for (const r of records) {
    const at = Date.parse(r.occurredAt);
    if (r.model !== model || !(at > start && at <= now)) continue;
    const key = r.version === null ? 'unrouted' : `v${r.version}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const versions = [...groups.entries()]
    .map(([version, rows]) => {
      const latencies = rows.map((r) => r.latencyMs).filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
      const series = new Array<number>(buckets).fill(0);
      for (const r of rows) series[Math.min(buckets - 1, Math.floor((Date.parse(r.occurredAt) - start) / (bucketSeconds * 1000)))] += 1 / bucketSeconds;
      return { version, requests: rows.length, errors: rows.filter((r) => r.status >= 500).length, p50Ms: percentile(latencies, 50), p95Ms: percentile(latencies, 95), p99Ms: percentile(latencies, 99), series };
    })
    .sort((a, b) => a.version.localeCompare(b.version));
  return { buckets: edges, versions };
}
