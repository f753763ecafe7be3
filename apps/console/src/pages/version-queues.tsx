import type { Api } from '../lib/api';
import { seg } from '../lib/api';
import type { VersionStatus, VersionView } from '../lib/types';
import { useAsync } from '../lib/use-async';

/** Batch sizes in numeric order (1, 2, 8, 16), not the JSON object's string order. */
const bySize = (sizes: Record<string, number>): [string, number][] => Object.entries(sizes).sort(([a], [b]) => Number(a) - Number(b));

/**
 * Each live version of a model: the requests waiting per pool and its runs by batch size, from
 * the workers' heartbeats through the version's status (models:read). Only the version's own
 * numbers: the API never returns another tenant's queue.
 */
export function VersionQueues({ api, model, everyMs }: { api: Api; model: string; everyMs: number }) {
  const status = useAsync(
    async () => {
      const { versions } = await api.json<{ versions: VersionView[] }>('GET', `/admin/models/${seg(model)}/versions`);
      const live = versions.filter((v) => v.stage !== 'archived');
      return Promise.all(live.map((v) => api.json<VersionStatus>('GET', `/admin/models/${seg(model)}/versions/${v.version}/status`)));
    },
    [model],
    everyMs,
  );
  if (status.error) return <p className="error">{status.error}</p>;
  const rows = status.value ?? [];
  return (
    <div className="row">
      <table data-testid="queue-depth">
        <caption>Queue depth per pool (requests waiting in the version's batchers)</caption>
        <thead>
          <tr>
            <th>version</th>
            <th>pool</th>
            <th>state</th>
            <th>queued</th>
          </tr>
        </thead>
        <tbody>
          {rows.flatMap((s) =>
            s.pools.map((p) => (
              <tr key={`${s.version}/${p.pool}`} data-version={s.version} data-pool={p.pool} data-queue-depth={p.queueDepth}>
                <td>v{s.version}</td>
                <td>{p.pool}</td>
                <td>{p.state}</td>
                <td>{p.queueDepth}</td>
              </tr>
            )),
          )}
        </tbody>
      </table>
      <table data-testid="batch-sizes">
        <caption>Runs by batch size (requests per run, since each worker loaded the version)</caption>
        <thead>
          <tr>
            <th>version</th>
            <th>batch size</th>
            <th>runs</th>
          </tr>
        </thead>
        <tbody>
          {rows.flatMap((s) =>
            bySize(s.batchSizes).map(([size, runs]) => (
              <tr key={`${s.version}/${size}`} data-version={s.version} data-size={size} data-runs={runs}>
                <td>v{s.version}</td>
                <td>{size}</td>
                <td>{runs}</td>
              </tr>
            )),
          )}
        </tbody>
      </table>
    </div>
  );
}
