import { useEffect, useState } from 'react';
import type { PageProps } from '../app';
import { ApiError, seg } from '../lib/api';
import { can } from '../lib/session';
import type { DeploymentView, Target, VersionView } from '../lib/types';
import { useAsync } from '../lib/use-async';
import { ModelPicker } from './model-picker';
import { Placement } from './placement';
import { SplitBar } from './split-bar';

interface ShadowReport {
  shadowVersion: number;
  pairs: number;
  shadowErrors: number;
  exactMatchRate: number;
  agreementRate: number;
  maxAbsDiff: number;
  latencyMs: Record<'primary' | 'shadow' | 'delta', { p50: number | null; p95: number | null }>;
}

const ms = (value: number | null | undefined) => (value === null || value === undefined ? '-' : `${value.toFixed(1)} ms`);

/**
 * A PUT replaces the whole spec: every other setting the deployment has is carried over, as the
 * CLI's `deploy` does, so only the targets change.
 */
function withTargets(current: DeploymentView | null, targets: Target[]): Record<string, unknown> {
  const reason = `console: ${targets.map((t) => `v${t.version} ${t.weight} %`).join(', ')}`;
  if (!current) return { targets, reason };
  return { targets, shadow: current.shadow, shadowPercent: current.shadowPercent, hardware: current.hardware, ...current.serving, slaP95Ms: current.slaP95Ms, regions: current.regions, reason };
}

/** Deployments: the split as a bar, a canary weight, a blue-green switch with confirmation. */
export function DeploymentsPage({ api, session, model, setModel }: PageProps) {
  const writable = can(session, 'deployments:write');
  const deployment = useAsync(async () => {
    if (!model) return null;
    try {
      return await api.json<DeploymentView>('GET', `/admin/models/${seg(model)}/deployment`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }, [model], 3000);
  const versions = useAsync(() => (model ? api.json<{ versions: VersionView[] }>('GET', `/admin/models/${seg(model)}/versions`) : Promise.resolve({ versions: [] })), [model]);
  const live = (versions.value?.versions ?? []).filter((v) => v.stage !== 'archived');
  const current = deployment.value ?? null;
  const primary = current ? [...current.targets].sort((a, b) => b.weight - a.weight)[0]?.version : live.find((v) => v.stage === 'production')?.version;
  const [canary, setCanary] = useState<number | null>(null);
  const [weight, setWeight] = useState(10);
  const [switchTo, setSwitchTo] = useState<number | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [shadow, setShadow] = useState({ version: '', percent: '100' });
  const report = useAsync(
    () => (model && current && current.shadow !== null ? api.json<ShadowReport>('GET', `/admin/models/${seg(model)}/deployment/shadow-report`) : Promise.resolve(null)),
    [model, current?.shadow, current?.revision],
    5000,
  );
  useEffect(() => {
    const candidate = [...live].reverse().find((v) => v.version !== primary)?.version ?? null;
    setCanary((c) => c ?? candidate);
    setSwitchTo((s) => s ?? candidate);
  }, [live, primary]);

  const act = async (run: () => Promise<unknown>) => {
    setMessage(null);
    try {
      await run();
      deployment.reload();
    } catch (error) {
      setMessage((error as Error).message);
    }
  };
  const applyCanary = () =>
    act(() => {
      if (primary === undefined || canary === null) throw new Error('needs a primary version and a canary');
      const targets = [
        { version: primary, weight: 100 - weight },
        { version: canary, weight },
      ].sort((a, b) => a.version - b.version);
      return api.json('PUT', `/admin/models/${seg(model!)}/deployment`, withTargets(current, targets));
    });
  const applyShadow = (off: boolean) =>
    act(() => {
      if (!current) throw new Error('a shadow mirrors a deployment: apply a split first');
      return api.json('PUT', `/admin/models/${seg(model!)}/deployment`, {
        ...withTargets(current, current.targets),
        shadow: off ? null : Number(shadow.version),
        shadowPercent: off ? 0 : Number(shadow.percent),
      });
    });
  const blueGreen = () => {
    if (switchTo === null || !confirm(`Send all traffic of ${model} to version ${switchTo} now?`)) return;
    void act(() => api.json('POST', `/admin/models/${seg(model!)}/deployment/switch`, { version: switchTo }));
  };

  return (
    <section>
      <ModelPicker api={api} model={model} setModel={setModel} />
      {deployment.error && <p className="error">{deployment.error}</p>}
      {current ? (
        <div className="card">
          <h2>
            {current.model}, revision {current.revision}
          </h2>
          <SplitBar targets={current.targets} testId="split" />
          <p>
            hardware {current.hardware} · regions {current.regions.join(', ') || 'any'} · SLA p95 {current.slaP95Ms ?? '-'} ms · shadow {current.shadow === null ? 'none' : `v${current.shadow} at ${current.shadowPercent} %`}
          </p>
          <h3>Placement</h3>
          <Placement api={api} model={current.model} targets={current.targets} />
        </div>
      ) : (
        model && <p>No deployment yet: the production version serves alone.</p>
      )}
      {report.value && (
        <div className="card" data-testid="shadow-report">
          <h2>Shadow v{report.value.shadowVersion}</h2>
          <p>
            {report.value.pairs} mirrored pairs · agreement {(report.value.agreementRate * 100).toFixed(1)} % · exact {(report.value.exactMatchRate * 100).toFixed(1)} % · max |diff| {report.value.maxAbsDiff} · shadow errors {report.value.shadowErrors}
          </p>
          <p>
            latency p50 {ms(report.value.latencyMs.primary.p50)} → {ms(report.value.latencyMs.shadow.p50)} (Δ {ms(report.value.latencyMs.delta.p50)}), p95 {ms(report.value.latencyMs.primary.p95)} → {ms(report.value.latencyMs.shadow.p95)} (Δ {ms(report.value.latencyMs.delta.p95)})
          </p>
        </div>
      )}
      {writable && model && (
        <div className="row">
          <form className="card" onSubmit={(e) => (e.preventDefault(), void applyCanary())}>
            <h2>Canary</h2>
            <label>
              Version{' '}
              <select data-testid="canary-version" value={canary ?? ''} onChange={(e) => setCanary(Number(e.target.value))}>
                {live.filter((v) => v.version !== primary).map((v) => (
                  <option key={v.version} value={v.version}>
                    v{v.version} ({v.stage})
                  </option>
                ))}
              </select>
            </label>
            <label>
              Weight <input data-testid="canary-weight" type="range" min={0} max={100} value={weight} onChange={(e) => setWeight(Number(e.target.value))} /> {weight} %
            </label>
            <button data-testid="apply-canary">Apply split</button>
          </form>
          <form className="card" onSubmit={(e) => (e.preventDefault(), blueGreen())}>
            <h2>Blue-green switch</h2>
            <select data-testid="switch-version" value={switchTo ?? ''} onChange={(e) => setSwitchTo(Number(e.target.value))}>
              {live.map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version} ({v.stage})
                </option>
              ))}
            </select>
            <button data-testid="switch">Switch all traffic</button>
          </form>
          {current && (
            <form className="card" onSubmit={(e) => (e.preventDefault(), void applyShadow(false))}>
              <h2>Shadow</h2>
              <label>
                Version <input value={shadow.version} onChange={(e) => setShadow({ ...shadow, version: e.target.value })} required />
              </label>
              <label>
                Mirrored share (%) <input value={shadow.percent} onChange={(e) => setShadow({ ...shadow, percent: e.target.value })} />
              </label>
              <button>Mirror</button>{' '}
              {current.shadow !== null && (
                <button type="button" onClick={() => void applyShadow(true)}>
                  Stop mirroring
                </button>
              )}
            </form>
          )}
        </div>
      )}
      {message && <p className="error">{message}</p>}
    </section>
  );
}
