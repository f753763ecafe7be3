import { useState } from 'react';
import type { PageProps } from '../app';
import { seg } from '../lib/api';
import { can } from '../lib/session';
import { ROLLOUT_ACTIVE, type RolloutView, type VersionView } from '../lib/types';
import { useAsync } from '../lib/use-async';
import { ModelPicker } from './model-picker';

const percent = (rate: number) => `${(rate * 100).toFixed(1)} %`;

/** Rollouts: start one, its steps and live metrics against the gates, pause/resume/abort, its history. */
export function RolloutsPage({ api, session, model, setModel }: PageProps) {
  const writable = can(session, 'deployments:write');
  const list = useAsync(() => (model ? api.json<{ rollouts: RolloutView[] }>('GET', `/admin/models/${seg(model)}/rollouts`) : Promise.resolve({ rollouts: [] })), [model], 2000);
  const newest = list.value?.rollouts[0];
  const detail = useAsync(() => (model && newest ? api.json<RolloutView>('GET', `/admin/models/${seg(model)}/rollouts/${seg(newest.id)}`) : Promise.resolve(null)), [model, newest?.id, newest?.state, newest?.step], 2000);
  const versions = useAsync(() => (model ? api.json<{ versions: VersionView[] }>('GET', `/admin/models/${seg(model)}/versions`) : Promise.resolve({ versions: [] })), [model]);
  const [canary, setCanary] = useState('');
  const [steps, setSteps] = useState('10,50,100');
  const [pause, setPause] = useState('600');
  const [message, setMessage] = useState<string | null>(null);
  const r = detail.value;
  const active = r && ROLLOUT_ACTIVE.includes(r.state);

  const act = async (run: () => Promise<unknown>) => {
    setMessage(null);
    try {
      await run();
      list.reload();
      detail.reload();
    } catch (error) {
      setMessage((error as Error).message);
    }
  };
  const start = () =>
    act(() =>
      api.json('POST', `/admin/models/${seg(model!)}/rollouts`, {
        canary: /^\d+$/.test(canary) ? Number(canary) : canary || Number([...(versions.value?.versions ?? [])].reverse().find((v) => v.stage !== 'production' && v.stage !== 'archived')?.version),
        steps: steps.split(',').map((s) => Number(s.trim())),
        pauseSeconds: Number(pause),
      }),
    );
  const action = (name: 'pause' | 'resume' | 'abort') => {
    if (name === 'abort' && !confirm('Abort the rollout and put the deployment back as it was?')) return;
    void act(() => api.json('POST', `/admin/models/${seg(model!)}/rollouts/${seg(r!.id)}/${name}`, {}));
  };

  return (
    <section>
      <ModelPicker api={api} model={model} setModel={setModel} />
      {(list.error ?? detail.error) && <p className="error">{list.error ?? detail.error}</p>}
      {writable && model && !active && (
        <form className="card" onSubmit={(e) => (e.preventDefault(), void start())}>
          <h2>Start a rollout</h2>
          <label>
            Canary version <input data-testid="rollout-canary" value={canary} placeholder="newest not in production" onChange={(e) => setCanary(e.target.value)} />
          </label>
          <label>
            Steps (%) <input data-testid="rollout-steps" value={steps} onChange={(e) => setSteps(e.target.value)} />
          </label>
          <label>
            Hold each step (s) <input data-testid="rollout-pause" value={pause} onChange={(e) => setPause(e.target.value)} />
          </label>
          <button data-testid="start-rollout">Start</button>
        </form>
      )}
      {message && <p className="error">{message}</p>}
      {r && (
        <div className="card" data-testid="rollout" data-state={r.state}>
          <h2>
            v{r.canaryVersion} over v{r.baselineVersion}: <span data-testid="rollout-state">{r.state}</span>
          </h2>
          <ol className="steps">
            {r.steps.map((s, i) => (
              <li key={i} className={i < r.step ? 'done' : i === r.step && active ? 'current' : ''}>
                {s} %
              </li>
            ))}
          </ol>
          <p>
            canary share <strong data-testid="rollout-weight">{r.canaryWeight} %</strong> · {r.reason}
          </p>
          {r.live && (
            <table>
              <thead>
                <tr>
                  <th />
                  <th>requests</th>
                  <th>errors</th>
                  <th>p95</th>
                </tr>
              </thead>
              <tbody>
                {(['canary', 'baseline'] as const).map((side) => (
                  <tr key={side}>
                    <td>{side}</td>
                    <td>{r.live![side].requests}</td>
                    <td>{percent(r.live![side].errorRate)}</td>
                    <td>{r.live![side].p95Ms === null ? '-' : `${r.live![side].p95Ms!.toFixed(1)} ms`}</td>
                  </tr>
                ))}
                {r.analysis && (
                  <tr>
                    <td>gates</td>
                    <td>≥ {r.analysis.minRequests} to judge</td>
                    <td>≤ {percent(r.analysis.maxErrorRate)}</td>
                    <td>{r.analysis.maxP95Ms ? `≤ ${r.analysis.maxP95Ms} ms` : r.analysis.maxP95Ratio ? `≤ ${r.analysis.maxP95Ratio}× baseline` : 'none'}</td>
                  </tr>
                )}
                <tr>
                  <td>verdict</td>
                  <td colSpan={3}>
                    {r.live.verdict.action}: {r.live.verdict.reason}
                  </td>
                </tr>
              </tbody>
            </table>
          )}
          {writable && active && (
            <div className="actions">
              {r.state === 'progressing' && <button onClick={() => action('pause')}>Pause</button>}
              {r.state === 'paused' && <button onClick={() => action('resume')}>Resume</button>}
              <button data-testid="abort-rollout" className="danger" onClick={() => action('abort')}>
                Abort
              </button>
            </div>
          )}
          <h3>History</h3>
          <table data-testid="rollout-events">
            <tbody>
              {(r.events ?? []).map((e, i) => (
                <tr key={i}>
                  <td>{e.occurredAt}</td>
                  <td>{e.type}</td>
                  <td>{e.canaryWeight} %</td>
                  <td>{e.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
