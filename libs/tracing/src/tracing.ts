import { inspect } from 'node:util';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type Context, type Link, type Span, type TimeInput, type Tracer } from '@opentelemetry/api';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { formatTraceparent, parseTraceparent } from './traceparent';
import type { TracingConfig } from './tracing.config';

/**
 * Where a span hangs: a span of this process, or the W3C `traceparent` that came over a wire
 * (HTTP, gRPC metadata, a dispatch entry, a Kafka header, a job's data); undefined starts a trace.
 */
export type TraceParent = Span | string | undefined;

export interface StartSpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Spans this one relates to without being their child (a batch and its members). */
  links?: readonly Span[];
  startTime?: TimeInput;
}

/**
 * One process's tracer. Parents are always passed explicitly, never taken from an async context:
 * no context manager (async hooks) is installed, on or off, so the hot path pays nothing for
 * context propagation; and when off (`Tracing.off`, sampling 0) no span object is ever made —
 * callers test `enabled` before building attributes, and a `traceparent` from the wire is handed
 * on unchanged so that an app further on that traces still joins the caller's trace.
 *
 * A trace that is not recorded costs what off costs: the decision is taken once, where the trace
 * starts (`startTrace`: parent-based for a `traceparent` that came over a wire, the sampling ratio
 * for a new trace), and a call outside the sample makes no span at all, not even OpenTelemetry's
 * non-recording one (1–2 µs each: at sampling 0.01 they cost two thirds of what recording every
 * span did). Its `traceparent`, if it came with one, is handed on as it came, so the flags say
 * "not sampled" all the way down and no app further on records a part of it.
 */
export class Tracing {
  static readonly off = new Tracing(undefined, undefined);

  private constructor(
    private readonly tracer: Tracer | undefined,
    private readonly provider: BasicTracerProvider | undefined,
    /** The share of new traces recorded. */
    private readonly ratio = 0,
  ) {}

  /** A tracer exporting to Zipkin, or Tracing.off for sampling 0. */
  static start(config: TracingConfig): Tracing {
    if (config.sampling <= 0 || config.zipkinUrl === undefined) return Tracing.off;
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }),
      // Every span the SDK is asked for is recorded: whether to record is decided before (startTrace, sampledParent).
      sampler: new AlwaysOnSampler(),
      spanProcessors: [new BatchSpanProcessor(new ZipkinExporter({ url: config.zipkinUrl, serviceName: config.serviceName }), { scheduledDelayMillis: config.exportDelayMs })],
    });
    return new Tracing(provider.getTracer('falaj'), provider, config.sampling);
  }

  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  /**
   * Where a trace enters this app (an edge: HTTP, gRPC, a Kafka message): its SERVER or CONSUMER
   * span, child of the `traceparent` the call came with; undefined when off or when the call is
   * not in the sample — a sampled `traceparent` is always recorded, an unsampled one never, and
   * a call without one (or with an invalid one) starts a new trace at the sampling ratio.
   */
  startTrace(name: string, incoming: string | undefined, options: StartSpanOptions = {}): Span | undefined {
    if (this.tracer === undefined) return undefined;
    const remote = incoming === undefined ? undefined : parseTraceparent(incoming);
    const recorded = remote === undefined ? Math.random() < this.ratio : (remote.traceFlags & TraceFlags.SAMPLED) !== 0;
    return recorded ? this.span(name, remote === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, remote), options) : undefined;
  }

  /**
   * A started span under `parent`, a span of this process or a `traceparent` from a wire;
   * undefined when off, when there is no parent (a call outside the sample: only startTrace
   * begins a trace), or when the parent is not sampled.
   */
  startSpan(name: string, parent: TraceParent, options: StartSpanOptions = {}): Span | undefined {
    if (this.tracer === undefined || parent === undefined) return undefined;
    if (typeof parent !== 'string') return parent.isRecording() ? this.span(name, trace.setSpan(ROOT_CONTEXT, parent), options) : undefined;
    const remote = parseTraceparent(parent);
    return remote !== undefined && (remote.traceFlags & TraceFlags.SAMPLED) !== 0 ? this.span(name, trace.setSpanContext(ROOT_CONTEXT, remote), options) : undefined;
  }

  private span(name: string, parent: Context, options: StartSpanOptions): Span | undefined {
    if (this.tracer === undefined) return undefined;
    const links: Link[] | undefined = options.links?.map((span) => ({ context: span.spanContext() }));
    return this.tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links, startTime: wholeMicroseconds(options.startTime) }, parent);
  }

  /**
   * The `traceparent` to put on the wire for `parent`: a span's own, or the one received handed
   * on — checked and written anew, so what a caller sent never reaches a dispatch entry as is.
   */
  traceparentOf(parent: TraceParent): string | undefined {
    if (parent === undefined) return undefined;
    if (typeof parent !== 'string') return formatTraceparent(parent.spanContext());
    const remote = parseTraceparent(parent);
    return remote === undefined ? undefined : formatTraceparent(remote);
  }

  /**
   * Sends what is finished; at shutdown. A backend that refuses that last export (down, full)
   * costs those spans, never the app's orderly stop: the reason is returned for the caller to log.
   */
  async shutdown(): Promise<string | undefined> {
    try {
      await this.provider?.shutdown();
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }
}

/**
 * The id of the trace a call is recorded in — what an exemplar names so that a latency bucket
 * links to a trace the backend holds — or undefined for a call outside the sample (or off).
 */
export function recordedTraceId(trace: TraceParent): string | undefined {
  // The sampled flag, not isRecording(): a span that has ended (the edge's, often) still names its trace.
  if (trace === undefined || typeof trace === 'string') return undefined;
  const context = trace.spanContext();
  return (context.traceFlags & TraceFlags.SAMPLED) !== 0 ? context.traceId : undefined;
}

/** Ends a span, marked failed when `error` is given (status and the exception event). */
export function endSpan(span: Span | undefined, error?: unknown, endTime?: TimeInput): void {
  if (span === undefined) return;
  if (error !== undefined) {
    const text = typeof error === 'string' ? error : inspect(error);
    span.recordException(error instanceof Error ? error : text);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : text });
  }
  span.end(wholeMicroseconds(endTime));
}

/**
 * A time given as a number (a `performance.now()` reading, or epoch ms) as whole microseconds:
 * Zipkin's span model is integer µs, and refuses (400) a whole export batch that holds one
 * fractional timestamp, which a sub-millisecond reading would otherwise give.
 */
export function wholeMicroseconds(time: TimeInput | undefined): TimeInput | undefined {
  if (typeof time !== 'number') return time;
  const epochMs = time < performance.timeOrigin ? performance.timeOrigin + time : time;
  const micros = Math.round(epochMs * 1000);
  return [Math.floor(micros / 1_000_000), (micros % 1_000_000) * 1000];
}

let current: Tracing = Tracing.off;

/**
 * The process's tracer, set once by the app's bootstrap (startTracing) before its module is
 * built; one per process as the logger is, so the libs on the hot path reach it without every
 * constructor taking it.
 */
export function tracing(): Tracing {
  return current;
}

/** At bootstrap: reads the app's tracing config and makes it the process's tracer. */
export function installTracing(config: TracingConfig): Tracing {
  current = Tracing.start(config);
  return current;
}
