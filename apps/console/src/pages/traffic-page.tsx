import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import type { PageProps } from '../app';
import { seg } from '../lib/api';
import { loadByVersion, type AuditRecord } from '../lib/load';
import { can } from '../lib/session';
import { useAsync } from '../lib/use-async';
import { ModelPicker } from './model-picker';
import { VersionQueues } from './version-queues';

const WINDOW_SECONDS = 60;
const BUCKET_SECONDS = 2;
const REFRESH_MS = 3000;
const COLOURS = ['#2563eb', '#ea580c', '#16a34a', '#9333ea'];

/**
 * Live traffic of one model: req/s by version (uPlot), p50/p95/p99 and errors, every few seconds;
 * with models:read, each version's queue depth per pool and its batch sizes too.
 */
export function TrafficPage({ api, session, model, setModel }: PageProps) {
  const audit = useAsync(
    // The audit API's page holds at most 1000 rows: past ~16 req/s the window covers less than 60 s.
    () => (model ? api.json<{ records: AuditRecord[] }>('GET', `/admin/audit?model=${seg(model)}&limit=1000`) : Promise.resolve({ records: [] })),
    [model],
    REFRESH_MS,
  );
  const load = model && audit.value ? loadByVersion(audit.value.records, model, Date.now(), WINDOW_SECONDS, BUCKET_SECONDS) : null;
  const total = load ? load.versions.reduce((sum, v) => sum + v.requests, 0) : 0;
  return (
    <section>
      <ModelPicker api={api} model={model} setModel={setModel} />
      {audit.error && <p className="error">{audit.error}</p>}
      <p>
        Requests per second by version over the last {WINDOW_SECONDS} s, from the audit log, refreshed every {REFRESH_MS / 1000} s. <span data-testid="traffic-total" data-requests={total}>{total} requests</span>
      </p>
      {load && <Chart buckets={load.buckets} series={load.versions.map((v) => ({ label: v.version, values: v.series }))} />}
      {load && (
        <table data-testid="traffic">
          <thead>
            <tr>
              <th>version</th>
              <th>requests</th>
              <th>req/s</th>
              <th>5xx</th>
              <th>p50</th>
              <th>p95</th>
              <th>p99</th>
            </tr>
          </thead>
          <tbody>
            {load.versions.map((v) => (
              <tr key={v.version}>
                <td>{v.version}</td>
                <td>{v.requests}</td>
                <td>{(v.requests / WINDOW_SECONDS).toFixed(2)}</td>
                <td>{v.errors}</td>
                {[v.p50Ms, v.p95Ms, v.p99Ms].map((ms, i) => (
                  <td key={i}>{ms === null ? '-' : `${ms.toFixed(1)} ms`}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {model && can(session, 'models:read') && <VersionQueues api={api} model={model} everyMs={REFRESH_MS} />}
    </section>
  );
}

function Chart({ buckets, series }: { buckets: number[]; series: { label: string; values: number[] }[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = series.map((s) => s.label).join(',');
  useEffect(() => {
    if (!box.current) return;
    plot.current = new uPlot(
      {
        width: Math.min(900, box.current.clientWidth || 900),
        height: 280,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [{}, { label: 'req/s' }],
        series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 2 }))],
      },
      [buckets, ...series.map((s) => s.values)],
      box.current,
    );
    return () => plot.current?.destroy();
    // Rebuilt only when the versions shown change; new data goes through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [labels]);
  useEffect(() => {
    plot.current?.setData([buckets, ...series.map((s) => s.values)]);
  }, [buckets, series]);
  return <div ref={box} className="chart" data-testid="traffic-chart" data-points={series.reduce((n, s) => n + s.values.filter((v) => v > 0).length, 0)} />;
}
