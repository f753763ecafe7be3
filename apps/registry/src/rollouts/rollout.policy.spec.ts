import type { VersionMetrics } from '@falaj/contracts';
import { RolloutInputSchema, planOf, type RolloutPlan } from './rollout-plan.schema';
import { breaches, canaryWeightOf, judgeStep, stepWeights } from './rollout.policy';

const metrics = (requests: number, errors: number, p95Ms: number | null): VersionMetrics => ({ requests, errors, errorRate: requests ? errors / requests : 0, p95Ms });
const plan = (analysis: Partial<RolloutPlan['analysis']> = {}): RolloutPlan => ({
  steps: [10, 50, 100],
  pauseSeconds: [30, 30, 30],
  analysis: { maxErrorRate: 0.01, maxP95Ms: 50, maxP95Ratio: null, minRequests: 20, ...analysis },
});
const seen = (canary: VersionMetrics, over: Partial<Parameters<typeof judgeStep>[1]> = {}) => ({ step: 0, elapsedMs: 31_000, paused: false, canary, baseline: metrics(500, 0, 10), ...over });

describe('rollout policy', () => {
  it('rolls back on an error rate over the SLO, naming the numbers', () => {
    const verdict = judgeStep(plan(), seen(metrics(40, 4, 12)));
    expect(verdict.action).toBe('rollback');
    expect(verdict.reason).toBe('SLO breached at 10%: canary error rate 10.0% (4 of 40) > 1.0%');
  });

  it('rolls back on a p95 over the absolute bound, and over a multiple of the baseline', () => {
    expect(judgeStep(plan(), seen(metrics(40, 0, 80))).reason).toContain('canary p95 80.0 ms > 50.0 ms');
    const relative = judgeStep(plan({ maxP95Ms: null, maxP95Ratio: 2 }), seen(metrics(40, 0, 25)));
    expect(relative).toEqual({ action: 'rollback', reason: 'SLO breached at 10%: canary p95 25.0 ms > 2× baseline p95 10.0 ms' });
    // A baseline with too little traffic to compare against never breaches the ratio.
    expect(judgeStep(plan({ maxP95Ms: null, maxP95Ratio: 2 }), seen(metrics(40, 0, 25), { baseline: metrics(5, 0, 1) })).action).toBe('advance');
  });

  it('rolls back at once, before the pause is over and while paused', () => {
    expect(judgeStep(plan(), seen(metrics(20, 20, 1), { elapsedMs: 1000 })).action).toBe('rollback');
    expect(judgeStep(plan(), seen(metrics(20, 20, 1), { paused: true })).action).toBe('rollback');
  });

  it('judges nothing before minRequests canary answers: a few early failures hold, they do not decide', () => {
    expect(breaches(plan().analysis, metrics(19, 19, 900), null)).toEqual([]);
    expect(judgeStep(plan(), seen(metrics(19, 19, 900)))).toEqual({ action: 'hold', reason: 'waiting for live traffic: 19 of 20 canary requests' });
  });

  it('holds through the pause, then advances within the SLO', () => {
    expect(judgeStep(plan(), seen(metrics(40, 0, 12), { elapsedMs: 10_000 }))).toEqual({ action: 'hold', reason: 'step 1 (10%) holds 20 s more' });
    expect(judgeStep(plan(), seen(metrics(40, 0, 12)))).toEqual({
      action: 'advance',
      reason: 'canary within SLO at 10% over 40 requests: error rate 0.0% ≤ 1.0%, p95 12.0 ms ≤ 50.0 ms',
    });
    expect(judgeStep(plan(), seen(metrics(40, 0, 12), { paused: true }))).toEqual({ action: 'hold', reason: 'paused by an operator' });
  });

  it('rolls back a canary that failed to load on every worker, naming why; loading or ready is no verdict', () => {
    expect(judgeStep(plan(), seen(metrics(0, 0, null), { elapsedMs: 0, canaryLoad: { state: 'failed', reason: 'artifact sha256 mismatch' } }))).toEqual({
      action: 'rollback',
      reason: 'canary failed to load on every worker: artifact sha256 mismatch',
    });
    expect(judgeStep(plan(), seen(metrics(0, 0, null), { canaryLoad: { state: 'loading' } })).action).toBe('hold');
  });

  it('allows exactly the error rate bound (≤, not <)', () => {
    expect(judgeStep(plan({ maxErrorRate: 0.1 }), seen(metrics(40, 4, 12))).action).toBe('advance');
  });

  it('splits weights per step', () => {
    expect(stepWeights(plan(), 1)).toEqual({ canary: 50, baseline: 50 });
    expect(stepWeights(plan(), 2)).toEqual({ canary: 100, baseline: 0 });
  });

  it("gives the canary its step's share while it runs and once promoted, none once rolled back or aborted", () => {
    expect(canaryWeightOf({ state: 'paused', step: 1, plan: plan() })).toBe(50);
    expect(canaryWeightOf({ state: 'succeeded', step: 2, plan: plan() })).toBe(100);
    expect(canaryWeightOf({ state: 'rolled_back', step: 1, plan: plan() })).toBe(0);
    expect(canaryWeightOf({ state: 'aborted', step: 0, plan: plan() })).toBe(0);
  });
});

describe('rollout plan input', () => {
  it('fills the defaults, one pause per step, and the SLA as the p95 bound', () => {
    const input = RolloutInputSchema.parse({ canary: 3 });
    expect(planOf(input, 40)).toEqual({
      steps: [5, 25, 50, 100],
      pauseSeconds: [60, 60, 60, 60],
      analysis: { maxErrorRate: 0.01, maxP95Ms: 40, maxP95Ratio: null, minRequests: 20 },
    });
    expect(planOf(RolloutInputSchema.parse({ canary: 'challenger', analysis: { maxP95Ms: null } }), 40).analysis.maxP95Ms).toBeNull();
  });

  it.each([
    [{ canary: 3, steps: [50, 25, 100] }, 'steps must rise'],
    [{ canary: 3, steps: [5, 50] }, 'the last step must be 100'],
    [{ canary: 3, steps: [5, 100], pauseSeconds: [1] }, 'one pause per step: 2 steps, 1 pauses'],
    [{ canary: 3, steps: [0, 100] }, 'steps'],
    [{ canary: 3, analysis: { maxErrorRate: 2 } }, 'maxErrorRate'],
    [{ canary: 3, extra: true }, 'extra'],
    [{}, 'canary'],
  ])('refuses %j', (body, message) => {
    const parsed = RolloutInputSchema.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain(message);
  });
});
