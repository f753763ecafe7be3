import { afterWarmUp, growthOf, slopePerMinute } from './slope';

describe('slopePerMinute', () => {
  it('is the least-squares slope per minute', () => {
    // 2 units per 30 s = 4 per minute, with noise that cancels.
    expect(
      slopePerMinute([
        [0, 10],
        [30_000, 13],
        [60_000, 13],
        [90_000, 17],
      ]),
    ).toBeCloseTo(4, 0);
    expect(
      slopePerMinute([
        [0, 5],
        [60_000, 5],
        [120_000, 5],
      ]),
    ).toBe(0);
    expect(
      slopePerMinute([
        [0, 5],
        [60_000, 3],
      ]),
    ).toBe(-2);
  });

  it('is NaN without two distinct times', () => {
    expect(slopePerMinute([])).toBeNaN();
    expect(slopePerMinute([[1, 2]])).toBeNaN();
    expect(
      slopePerMinute([
        [1, 2],
        [1, 3],
      ]),
    ).toBeNaN();
  });
});

describe('growthOf', () => {
  it('takes the slope after the warm-up: a store that fills, then plateaus, is flat', () => {
    const series: [number, number][] = Array.from({ length: 20 }, (_, i) => [i * 60_000, Math.min(i, 8) * 100]);
    expect(afterWarmUp(series)[0][0]).toBe(600_000);
    const growth = growthOf(series);
    expect(growth.slope).toBe(0);
    expect(growth).toMatchObject({ first: 0, last: 800, max: 800 });
  });

  it('sees a leak that keeps growing', () => {
    const series: [number, number][] = Array.from({ length: 20 }, (_, i) => [i * 60_000, 1000 + i * 50]);
    expect(growthOf(series).slope).toBeCloseTo(50, 6);
  });
});
