import type { TensorPayload } from '@falaj/contracts';
import { compareOutputs } from './output-agreement';
import { shadowReport } from './shadow-report';

const fp32 = (values: number[], name = 'y'): TensorPayload => ({ name, datatype: 'FP32', shape: [1, values.length], data: Buffer.from(new Float32Array(values).buffer) });

describe('compareOutputs', () => {
  it('finds identical outputs exact, agreeing, 0 apart', () => {
    expect(compareOutputs([fp32([0.1, 0.9])], [fp32([0.1, 0.9])])).toEqual({ exact: true, argmax: true, maxAbsDiff: 0 });
  });

  it('measures drift that keeps the predicted class', () => {
    const r = compareOutputs([fp32([0.1, 0.9])], [fp32([0.2, 0.8])]);
    expect(r.exact).toBe(false);
    expect(r.argmax).toBe(true);
    expect(r.maxAbsDiff).toBeCloseTo(0.1, 5);
  });

  it('sees a flipped class and a different shape', () => {
    expect(compareOutputs([fp32([0.1, 0.9])], [fp32([0.9, 0.1])]).argmax).toBe(false);
    expect(compareOutputs([fp32([1, 2])], [fp32([1, 2, 3])])).toEqual({ exact: false, argmax: false, maxAbsDiff: Infinity });
    expect(compareOutputs([fp32([1])], [fp32([1], 'z')]).exact).toBe(false);
  });

  it('compares BYTES exactly', () => {
    const bytes = (s: string): TensorPayload => ({ name: 'y', datatype: 'BYTES', shape: [1], data: Buffer.from(s) });
    expect(compareOutputs([bytes('a')], [bytes('a')])).toMatchObject({ exact: true, argmax: true });
    expect(compareOutputs([bytes('a')], [bytes('b')])).toMatchObject({ exact: false, argmax: false });
  });
});

describe('shadowReport', () => {
  it('gives rates, percentiles of both sides and of the paired delta', () => {
    const report = shadowReport(2, { pairs: 4, exact: 3, argmax: 4, shadowErrors: 1, maxAbsDiff: 0.5 }, [1, 2, 3, 4], [2, 3, 4, 10]);
    expect(report).toMatchObject({
      shadowVersion: 2,
      pairs: 4,
      exactMatchRate: 0.75,
      agreementRate: 1,
      shadowErrors: 1,
      maxAbsDiff: 0.5,
      latencyMs: { primary: { p50: 2, p95: 4 }, shadow: { p50: 3, p95: 10 }, delta: { p50: 1, p95: 6 } },
    });
    expect(shadowReport(2, { pairs: 0, exact: 0, argmax: 0, shadowErrors: 0, maxAbsDiff: 0 }, [], []).agreementRate).toBeNull();
  });
});
