import { renderRollout, stepsLine, type RolloutView } from './rollout';

const rollout: RolloutView = {
  id: 'e1c9705e',
  model: 'scorer',
  baselineVersion: 1,
  canaryVersion: 2,
  state: 'progressing',
  step: 1,
  canaryWeight: 50,
  steps: [25, 50, 100],
  pauseSeconds: [5, 5, 5],
  reason: '',
  createdAt: '2026-12-02T03:00:00.000Z',
  finishedAt: null,
  live: {
    canary: { requests: 43, errors: 1, errorRate: 0.0232, p95Ms: 2.908 },
    baseline: { requests: 46, errors: 0, errorRate: 0, p95Ms: null },
    canaryLoad: { state: 'ready' },
    verdict: { action: 'hold', reason: 'step 2 (50%) holds 1 s more' },
  },
};

describe('stepsLine', () => {
  it('marks the current step while the rollout runs, and none once it finished', () => {
    expect(stepsLine(rollout)).toBe('25 → [50] → 100');
    expect(stepsLine({ ...rollout, state: 'succeeded', step: 2 })).toBe('25 → 50 → 100');
  });
});

describe('renderRollout', () => {
  it('shows the split, the live metrics of both sides and the verdict with its reason', () => {
    const text = renderRollout(rollout);
    expect(text).toContain('scorer: v2 over v1');
    expect(text).toContain('43 req, 2.3 % errors, p95 2.9 ms');
    expect(text).toContain('46 req, 0 % errors, p95 -');
    expect(text).toContain('hold: step 2 (50%) holds 1 s more');
    expect(text).not.toContain('event'); // no history table without events
  });
});
