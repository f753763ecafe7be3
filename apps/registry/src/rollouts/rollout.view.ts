import { canaryWeightOf } from './rollout.policy';
import type { RolloutDetail } from './rollouts.service';
import type { RolloutEventEntity } from './rollout-event.entity';
import type { RolloutEntity } from './rollout.entity';

export function toRolloutView(r: RolloutEntity) {
  return {
    id: r.id,
    model: r.model,
    baselineVersion: r.baselineVersion,
    canaryVersion: r.canaryVersion,
    state: r.state,
    step: r.step,
    canaryWeight: canaryWeightOf(r),
    steps: r.plan.steps,
    pauseSeconds: r.plan.pauseSeconds,
    analysis: r.plan.analysis,
    reason: r.reason,
    stepStartedAt: r.stepStartedAt,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    finishedAt: r.finishedAt,
  };
}

const toEventView = (e: RolloutEventEntity) => ({
  type: e.type,
  step: e.step,
  canaryWeight: e.canaryWeight,
  canary: e.canary,
  baseline: e.baseline,
  reason: e.reason,
  actor: e.actor,
  occurredAt: e.occurredAt,
});

export function toRolloutDetailView({ rollout, events, live }: RolloutDetail) {
  return { ...toRolloutView(rollout), live, events: events.map(toEventView) };
}

const metrics = { requests: 412, errors: 0, errorRate: 0, p95Ms: 4.8 };
export const ROLLOUT_EXAMPLE = {
  id: '4f1c2a9e-1f7b-4c1e-9a57-3b1d2f6c8e90',
  model: 'fraud-scorer',
  baselineVersion: 3,
  canaryVersion: 4,
  state: 'progressing',
  step: 1,
  canaryWeight: 25,
  steps: [5, 25, 50, 100],
  pauseSeconds: [60, 60, 60, 60],
  analysis: { maxErrorRate: 0.01, maxP95Ms: 50, maxP95Ratio: null, minRequests: 20 },
  reason: 'canary within SLO at 5% over 412 requests: error rate 0.0% ≤ 1.0%, p95 4.8 ms ≤ 50.0 ms',
  stepStartedAt: '2026-11-28T12:01:00.000Z',
  createdBy: 'alice',
  createdAt: '2026-11-28T12:00:00.000Z',
  updatedAt: '2026-11-28T12:01:00.000Z',
  finishedAt: null,
  live: { canary: metrics, baseline: { ...metrics, requests: 7831, p95Ms: 4.6 }, canaryLoad: { state: 'ready' }, verdict: { action: 'hold', reason: 'step 2 (25%) holds 31 s more' } },
  events: [
    {
      type: 'rollout.started',
      step: 0,
      canaryWeight: 5,
      canary: null,
      baseline: null,
      reason: 'roll version 4 out over version 3: 5 → 25 → 50 → 100 %',
      actor: 'alice',
      occurredAt: '2026-11-28T12:00:00.000Z',
    },
  ],
};
