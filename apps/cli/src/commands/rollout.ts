import { CliError } from '../cli-error';
import { EXIT } from '../exit-codes';
import { seg, type FalajClient } from '../http-client';
import { renderTable, short } from '../output';

interface Metrics {
  requests: number;
  errors: number;
  errorRate: number;
  p95Ms: number | null;
}

export interface RolloutView {
  id: string;
  model: string;
  baselineVersion: number;
  canaryVersion: number;
  state: string;
  step: number;
  canaryWeight: number;
  steps: number[];
  pauseSeconds: number[];
  reason: string;
  createdAt: string;
  finishedAt: string | null;
  live?: { canary: Metrics; baseline: Metrics; canaryLoad: { state: string; reason?: string }; verdict: { action: string; reason: string } } | null;
  events?: { type: string; step: number; canaryWeight: number; reason: string; occurredAt: string }[];
}

export const FINISHED = ['succeeded', 'rolled_back', 'aborted'];
const ACTIVE = ['progressing', 'paused'];

/** The rollout named, or the model's newest (for status) / its active one (for pause, resume, abort). */
export async function rolloutOf(client: FalajClient, model: string, id: string | undefined, active: boolean): Promise<RolloutView> {
  if (id) return client.json<RolloutView>('GET', `/admin/models/${seg(model)}/rollouts/${seg(id)}`, { what: `read rollout ${id} of '${model}'` });
  const { rollouts } = await client.json<{ rollouts: RolloutView[] }>('GET', `/admin/models/${seg(model)}/rollouts`, { what: `list the rollouts of '${model}'` });
  const found = active ? rollouts.find((r) => ACTIVE.includes(r.state)) : rollouts[0];
  if (!found) throw new CliError(`model '${model}' has no ${active ? 'active ' : ''}rollout`, EXIT.notFound, `start one with \`falaj rollout start ${model} --canary VERSION\``);
  return client.json<RolloutView>('GET', `/admin/models/${seg(model)}/rollouts/${seg(found.id)}`, { what: `read rollout ${found.id} of '${model}'` });
}

const metricsLine = (m: Metrics | undefined) => (m ? `${m.requests} req, ${short(m.errorRate * 100, 1)} % errors, p95 ${m.p95Ms === null ? '-' : `${short(m.p95Ms, 1)} ms`}` : '-');

/** The steps as a bar of where the canary is: 5 · [25] · 50 · 100. */
export function stepsLine(r: Pick<RolloutView, 'steps' | 'step' | 'state'>): string {
  return r.steps.map((s, i) => (i === r.step && !FINISHED.includes(r.state) ? `[${s}]` : String(s))).join(' → ');
}

export function renderRollout(r: RolloutView): string {
  const rows: [string, string][] = [
    ['rollout', r.id],
    ['model', `${r.model}: v${r.canaryVersion} over v${r.baselineVersion}`],
    ['state', r.state],
    ['canary share', `${r.canaryWeight} %   steps ${stepsLine(r)}`],
    ['why', r.reason || '-'],
  ];
  if (r.live) {
    rows.push(
      ['canary', metricsLine(r.live.canary)],
      ['baseline', metricsLine(r.live.baseline)],
      ['canary load', r.live.canaryLoad.state],
      ['verdict', `${r.live.verdict.action}: ${r.live.verdict.reason}`],
    );
  }
  let out = renderTable([], rows);
  if (r.events?.length)
    out += `\n${renderTable(
      ['when', 'event', 'share', 'reason'],
      r.events.map((e) => [e.occurredAt, e.type, `${e.canaryWeight} %`, e.reason]),
    )}`;
  return out;
}
