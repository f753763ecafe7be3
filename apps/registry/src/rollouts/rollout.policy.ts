import type { ModelLoadState, RolloutState, VersionMetrics } from '@falaj/contracts';
import type { DeploymentSpec } from '../catalog';
import type { RolloutAnalysis, RolloutPlan } from './rollout-plan.schema';

/** What a rollout does next, and the sentence that says why (recorded and published). */
export type Verdict = { action: 'rollback' | 'advance' | 'hold'; reason: string };

export interface StepObservation {
  /** Index into the plan's steps. */
  step: number;
  /** Time the step has held so far. */
  elapsedMs: number;
  paused: boolean;
  /** Live traffic since the step began, from the audit log. */
  canary: VersionMetrics;
  baseline: VersionMetrics | null;
  /** The canary's load state over the workers (versionLoadState), when known. */
  canaryLoad?: { state: ModelLoadState; reason?: string };
}

const percent = (rate: number): string => `${(rate * 100).toFixed(1)}%`;
const ms = (value: number): string => `${value.toFixed(1)} ms`;

/**
 * The canary's SLO breaches in a window, as sentences; none until the window holds
 * `minRequests` canary answers, so a handful of early requests never decides a rollout.
 */
export function breaches(analysis: RolloutAnalysis, canary: VersionMetrics, baseline: VersionMetrics | null): string[] {
  if (canary.requests < analysis.minRequests) return [];
  const found: string[] = [];
  if (canary.errorRate > analysis.maxErrorRate) {
    found.push(`canary error rate ${percent(canary.errorRate)} (${canary.errors} of ${canary.requests}) > ${percent(analysis.maxErrorRate)}`);
  }
  if (analysis.maxP95Ms !== null && canary.p95Ms !== null && canary.p95Ms > analysis.maxP95Ms) {
    found.push(`canary p95 ${ms(canary.p95Ms)} > ${ms(analysis.maxP95Ms)}`);
  }
  if (analysis.maxP95Ratio !== null && canary.p95Ms !== null && baseline?.p95Ms != null && baseline.requests >= analysis.minRequests && canary.p95Ms > analysis.maxP95Ratio * baseline.p95Ms) {
    found.push(`canary p95 ${ms(canary.p95Ms)} > ${analysis.maxP95Ratio}× baseline p95 ${ms(baseline.p95Ms)}`);
  }
  return found;
}

/**
 * One step of a rollout judged on live traffic. A canary that failed to load everywhere, or a breach, rolls back at once, whenever it is
 * seen (paused or not, before the pause is over or not). A step advances only when it has
 * held its pause, seen enough canary traffic, and stayed within the SLO; otherwise it holds.
 */
export function judgeStep(plan: RolloutPlan, seen: StepObservation): Verdict {
  const { analysis } = plan;
  // A canary no worker could load never gets traffic (gateways send its share to the baseline),
  // so no analysis would ever judge it: that is a failure of its own.
  if (seen.canaryLoad?.state === 'failed') {
    return { action: 'rollback', reason: `canary failed to load on every worker${seen.canaryLoad.reason ? `: ${seen.canaryLoad.reason}` : ''}` };
  }
  const found = breaches(analysis, seen.canary, seen.baseline);
  if (found.length > 0) return { action: 'rollback', reason: `SLO breached at ${plan.steps[seen.step]}%: ${found.join('; ')}` };
  if (seen.paused) return { action: 'hold', reason: 'paused by an operator' };
  const pauseMs = plan.pauseSeconds[seen.step] * 1000;
  if (seen.elapsedMs < pauseMs) {
    return { action: 'hold', reason: `step ${seen.step + 1} (${plan.steps[seen.step]}%) holds ${Math.ceil((pauseMs - seen.elapsedMs) / 1000)} s more` };
  }
  if (seen.canary.requests < analysis.minRequests) {
    return { action: 'hold', reason: `waiting for live traffic: ${seen.canary.requests} of ${analysis.minRequests} canary requests` };
  }
  const within = [`error rate ${percent(seen.canary.errorRate)} ≤ ${percent(analysis.maxErrorRate)}`];
  if (seen.canary.p95Ms !== null) within.push(`p95 ${ms(seen.canary.p95Ms)}${analysis.maxP95Ms !== null ? ` ≤ ${ms(analysis.maxP95Ms)}` : ''}`);
  return { action: 'advance', reason: `canary within SLO at ${plan.steps[seen.step]}% over ${seen.canary.requests} requests: ${within.join(', ')}` };
}

/** The canary's share of traffic in a rollout's state: its step's while it runs and once promoted, none once rolled back or aborted. */
export function canaryWeightOf(rollout: { state: RolloutState; step: number; plan: RolloutPlan }): number {
  return rollout.state === 'rolled_back' || rollout.state === 'aborted' ? 0 : rollout.plan.steps[rollout.step];
}

/** The canary's and the baseline's weights at a step (they always sum to 100). */
export function stepWeights(plan: RolloutPlan, step: number): { canary: number; baseline: number } {
  const canary = plan.steps[step];
  return { canary, baseline: 100 - canary };
}

/**
 * The deployment at a rollout step: the pre-rollout spec (or, where the model had none, all
 * traffic on the baseline with default settings) with its traffic split between baseline and
 * canary. At 100% the baseline stays as a weight-0 standby, so a late breach rolls back with no
 * model to load. A shadow that is the canary stops mirroring: the canary gets live traffic now.
 */
export function rolloutSpec(base: DeploymentSpec | null, baseline: number, canary: number, canaryWeight: number): DeploymentSpec {
  const from = base ?? { targets: [], shadow: null, hardware: 'cpu', serving: {}, slaP95Ms: null, regions: [] };
  return {
    ...from,
    targets: [
      { version: baseline, weight: 100 - canaryWeight },
      { version: canary, weight: canaryWeight },
    ],
    shadow: from.shadow === canary ? null : from.shadow,
  };
}
