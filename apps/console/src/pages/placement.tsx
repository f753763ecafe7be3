import type { Api } from '../lib/api';
import { seg } from '../lib/api';
import type { Target, VersionStatus } from '../lib/types';
import { useAsync } from '../lib/use-async';

/** Where each version of the split is loaded: per pool (hardware.region) and worker, from live heartbeats. */
export function Placement({ api, model, targets }: { api: Api; model: string; targets: Target[] }) {
  const versions = targets.map((t) => t.version);
  const status = useAsync(() => Promise.all(versions.map((v) => api.json<VersionStatus>('GET', `/admin/models/${seg(model)}/versions/${v}/status`))), [model, versions.join()], 5000);
  if (status.error) return <p className="error">{status.error}</p>;
  return (
    <table data-testid="placement">
      <thead>
        <tr>
          <th>version</th>
          <th>pool</th>
          <th>worker</th>
          <th>state</th>
        </tr>
      </thead>
      <tbody>
        {(status.value ?? []).flatMap((s) =>
          s.pools.length === 0
            ? [
                <tr key={`${s.version}`}>
                  <td>v{s.version}</td>
                  <td colSpan={2}>-</td>
                  <td>{s.state}</td>
                </tr>,
              ]
            : s.pools.flatMap((p) =>
                p.workers.map((w) => (
                  <tr key={`${s.version}/${p.pool}/${w.workerId}`}>
                    <td>v{s.version}</td>
                    <td>{p.pool}</td>
                    <td className="mono">{w.workerId}</td>
                    <td>
                      {w.state}
                      {w.reason ? `: ${w.reason}` : ''}
                    </td>
                  </tr>
                )),
              ),
        )}
      </tbody>
    </table>
  );
}
