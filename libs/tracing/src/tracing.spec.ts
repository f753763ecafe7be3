import { Tracing, wholeMicroseconds } from './tracing';

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

describe('Tracing: what is recorded', () => {
  const SAMPLED = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const UNSAMPLED = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
  // Spans here are never ended, so nothing is ever exported to the (absent) Zipkin.
  const tracerAt = (sampling: number) => Tracing.start({ sampling, zipkinUrl: 'http://127.0.0.1:9/api/v2/spans', serviceName: 'falaj-spec', exportDelayMs: 60_000 });

  it('off: no span, ever', () => {
    expect(Tracing.off.startTrace('edge', SAMPLED)).toBeUndefined();
    expect(Tracing.off.startSpan('hop', SAMPLED)).toBeUndefined();
    expect(Tracing.start({ sampling: 0, serviceName: 'x', exportDelayMs: 1000 }).enabled).toBe(false);
  });

  it('an incoming traceparent decides at the edge: sampled is recorded in its trace, unsampled makes no span', async () => {
    const tracer = tracerAt(1);
    const span = tracer.startTrace('edge', SAMPLED);
    expect(span?.isRecording()).toBe(true);
    expect(span?.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(tracer.startTrace('edge', UNSAMPLED)).toBeUndefined();
    await tracer.shutdown();
  });

  it('below the edge a span needs a recorded parent: none, an unsampled traceparent or an absent one give nothing', async () => {
    const tracer = tracerAt(1);
    expect(tracer.startSpan('hop', undefined)).toBeUndefined();
    expect(tracer.startSpan('hop', UNSAMPLED)).toBeUndefined();
    const edge = tracer.startTrace('edge', undefined);
    const child = tracer.startSpan('hop', edge);
    expect(child?.spanContext().traceId).toBe(edge?.spanContext().traceId);
    expect(tracer.startSpan('serve', tracer.traceparentOf(child))?.spanContext().traceId).toBe(edge?.spanContext().traceId);
    await tracer.shutdown();
  });

  it('new traces (no or an invalid traceparent) are recorded at the sampling ratio', async () => {
    const tracer = tracerAt(0.25);
    let recorded = 0;
    for (let i = 0; i < 4000; i++) if (tracer.startTrace('edge', i % 2 === 0 ? undefined : 'not-a-traceparent') !== undefined) recorded++;
    // Binomial(4000, 0.25): mean 1000, sd ~27; 6 sd either way.
    expect(recorded).toBeGreaterThan(840);
    expect(recorded).toBeLessThan(1160);
    await tracer.shutdown();
  });
});
