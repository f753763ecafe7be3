import type { AuditRecord } from './audit.command';

export interface ModelLoad {
  model: string;
  version: number | null;
  requests: number;
  perSecond: number;
  /** 5xx: the platform's failures. */
  errors: number;
  /** 4xx: the callers'. */
  refused: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

/** The nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Per model and version, the load of the last `windowSeconds` before `now`, from the tenant's
 * audit rows (one per call): the only per-model traffic a tenant may read (the gateway's
 * Prometheus metrics need the operators' workers:read scope).
 */
export function loadOf(records: AuditRecord[], now: number, windowSeconds: number): ModelLoad[] {
  const since = now - windowSeconds * 1000;
  const groups = new Map<string, AuditRecord[]>();
  for (const r of records) {
    const at = Date.parse(r.occurredAt);
    if (!(at > since && at <= now)) continue;
    const key = `${r.model}\u0000${r.version ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()]
    .map((rows) => {
      const latencies = rows
        .map((r) => r.latencyMs)
        .filter((v): v is number => typeof v === 'number')
        .sort((a, b) => a - b);
      return {
        model: rows[0].model,
        version: rows[0].version,
        requests: rows.length,
        perSecond: rows.length / windowSeconds,
        errors: rows.filter((r) => r.status >= 500).length,
        refused: rows.filter((r) => r.status >= 400 && r.status < 500).length,
        p50Ms: percentile(latencies, 50),
        p95Ms: percentile(latencies, 95),
        p99Ms: percentile(latencies, 99),
      };
    })
    .sort((a, b) => b.requests - a.requests || a.model.localeCompare(b.model) || (a.version ?? 0) - (b.version ?? 0));
}
