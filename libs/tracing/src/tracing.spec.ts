import { wholeMicroseconds } from './tracing';

describe('wholeMicroseconds', () => {
  it('turns a performance.now() reading into epoch time in whole microseconds (Zipkin refuses fractions)', () => {
    const reading = 1234.5678;
    const [seconds, nanos] = wholeMicroseconds(reading) as [number, number];
    expect(nanos % 1000).toBe(0);
    const micros = seconds * 1_000_000 + nanos / 1000;
    expect(micros).toBe(Math.round((performance.timeOrigin + reading) * 1000));
  });

  it('takes epoch milliseconds as they are, and leaves other inputs alone', () => {
    // After the process started: read as epoch ms (as OpenTelemetry reads a number), not as performance.now().
    const epoch = Math.floor(performance.timeOrigin) + 86_400_000 + 0.8038;
    const [seconds, nanos] = wholeMicroseconds(epoch) as [number, number];
    expect(seconds * 1_000_000 + nanos / 1000).toBe(Math.round(epoch * 1000));
    expect(nanos % 1000).toBe(0);
    const date = new Date();
    expect(wholeMicroseconds(date)).toBe(date);
    expect(wholeMicroseconds(undefined)).toBeUndefined();
  });
});
