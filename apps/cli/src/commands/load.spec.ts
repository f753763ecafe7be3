import type { AuditRecord } from './audit.command';
import { loadOf, percentile } from './load';

const at = (msAgo: number, now: number) => new Date(now - msAgo).toISOString();
const record = (model: string, version: number, status: number, latencyMs: number, occurredAt: string): AuditRecord => ({
  eventId: `${model}-${occurredAt}-${latencyMs}`,
  requestId: 'r',
  tenantId: 'acme',
  model,
  version,
  pool: 'cpu.ae',
  protocol: 'rest',
  status,
  error: status >= 400 ? 'failed' : null,
  latencyMs,
  subject: 'app',
  servedRegion: 'ae',
  occurredAt,
});

describe('percentile', () => {
  it('is the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(values, 50), percentile(values, 95), percentile(values, 99), percentile([], 50)]).toEqual([50, 95, 99, null]);
  });
});

describe('loadOf', () => {
  it('groups the window by model and version: rate, 5xx apart from 4xx, latency percentiles; older rows left out', () => {
    const now = Date.parse('2026-12-02T03:00:00Z');
    const rows = [
      ...Array.from({ length: 20 }, (_, i) => record('scorer', 1, 200, i + 1, at(i * 100, now))),
      record('scorer', 2, 500, 9, at(500, now)),
      record('scorer', 2, 400, 1, at(600, now)),
      record('scorer', 1, 200, 999, at(11_000, now)), // outside a 10 s window
    ];
    expect(loadOf(rows, now, 10)).toEqual([
      { model: 'scorer', version: 1, requests: 20, perSecond: 2, errors: 0, refused: 0, p50Ms: 10, p95Ms: 19, p99Ms: 20 },
      { model: 'scorer', version: 2, requests: 2, perSecond: 0.2, errors: 1, refused: 1, p50Ms: 1, p95Ms: 9, p99Ms: 9 },
    ]);
  });
});
