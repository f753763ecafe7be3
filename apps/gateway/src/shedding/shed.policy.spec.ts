import { shedDecision } from './shed.policy';

describe('shedDecision', () => {
  it('never sheds without an SLA or before any measurement', () => {
    expect(shedDecision({ inFlight: 100, workers: 1, recentMs: 900 }, null)).toEqual({ shed: false });
    expect(shedDecision({ inFlight: 100, workers: 1, recentMs: null }, 50)).toEqual({ shed: false });
  });

  it('lets a request through while the pool meets its SLA or its queue is shallow', () => {
    expect(shedDecision({ inFlight: 100, workers: 2, recentMs: 40 }, 50).shed).toBe(false);
    expect(shedDecision({ inFlight: 1, workers: 2, recentMs: 400 }, 50).shed).toBe(false);
  });

  it('sheds with a retry time when the queue would miss the SLA', () => {
    const decision = shedDecision({ inFlight: 4, workers: 2, recentMs: 1500 }, 50);
    expect(decision).toMatchObject({ shed: true, retryAfterSeconds: 2 });
    expect(decision.shed && decision.reason).toContain('over the SLA of 50 ms');
    expect(shedDecision({ inFlight: 1, workers: 0, recentMs: 60 }, 50)).toMatchObject({ shed: true, retryAfterSeconds: 1 });
  });
});
