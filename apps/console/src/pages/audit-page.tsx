import { useState } from 'react';
import type { PageProps } from '../app';
import type { AuditRecord } from '../lib/load';
import { useAsync } from '../lib/use-async';

// `tenant`: a platform admin's filter; a tenant's account reads its own rows whatever it says.
const FILTERS = ['model', 'version', 'status', 'protocol', 'from', 'to', 'requestId', 'tenant'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

const queryOf = (filters: Filters, extra: Record<string, string> = {}) => {
  const query = new URLSearchParams(extra);
  for (const [key, value] of Object.entries(filters)) if (value) query.set(key, value);
  return query.toString();
};

/** The tenant's audit log: filters, newest first, a page at a time, and an NDJSON/CSV export. */
export function AuditPage({ api, session }: PageProps) {
  const [draft, setDraft] = useState<Filters>({});
  const [filters, setFilters] = useState<Filters>({});
  const [cursor, setCursor] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const page = useAsync(
    () => api.json<{ records: AuditRecord[]; nextCursor: string | null }>('GET', `/admin/audit?${queryOf(filters, { limit: '50', ...(cursor ? { cursor } : {}) })}`),
    [JSON.stringify(filters), cursor],
  );
  const exportAs = (format: 'csv' | 'ndjson') =>
    api.download(`/admin/audit?${queryOf(filters, { format })}`, format === 'csv' ? 'text/csv' : 'application/x-ndjson', `audit-${session.tenant}.${format}`).catch((e: Error) => setMessage(e.message));
  return (
    <section>
      <form className="card filters" onSubmit={(e) => (e.preventDefault(), setCursor(null), setFilters(draft))}>
        {FILTERS.map((f) => (
          <label key={f}>
            {f} <input data-testid={`audit-${f}`} value={draft[f] ?? ''} placeholder={f === 'status' ? '5xx' : f === 'from' || f === 'to' ? '2026-12-01T00:00Z' : ''} onChange={(e) => setDraft({ ...draft, [f]: e.target.value })} />
          </label>
        ))}
        <button>Filter</button>
        <button type="button" data-testid="export-csv" onClick={() => void exportAs('csv')}>
          Export CSV
        </button>
        <button type="button" onClick={() => void exportAs('ndjson')}>
          Export NDJSON
        </button>
      </form>
      {(message ?? page.error) && <p className="error">{message ?? page.error}</p>}
      <table data-testid="audit">
        <thead>
          <tr>
            <th>when</th>
            <th>model</th>
            <th>version</th>
            <th>protocol</th>
            <th>status</th>
            <th>ms</th>
            <th>subject</th>
            <th>request id</th>
          </tr>
        </thead>
        <tbody>
          {(page.value?.records ?? []).map((r) => (
            <tr key={r.eventId}>
              <td>{r.occurredAt}</td>
              <td>{r.model}</td>
              <td>{r.version ?? '-'}</td>
              <td>{r.protocol}</td>
              <td>{r.error ? `${r.status} ${r.error.slice(0, 40)}` : r.status}</td>
              <td>{r.latencyMs === null ? '-' : r.latencyMs.toFixed(1)}</td>
              <td>{r.subject}</td>
              <td className="mono">{r.requestId}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {page.value?.nextCursor && <button onClick={() => setCursor(page.value!.nextCursor)}>Older</button>}
    </section>
  );
}
