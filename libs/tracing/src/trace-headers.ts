import { SpanKind } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { endSpan, type TraceParent, type Tracing } from './tracing';

/** The request's trace context (W3C Trace Context), on HTTP, gRPC metadata and Kafka headers alike. */
export const TRACEPARENT_HEADER = 'traceparent';
/** The answer's (W3C Trace Context level 2): the trace and the server span that answered, so a caller can find its trace. */
export const TRACERESPONSE_HEADER = 'traceresponse';

/** The single value of a header that may come repeated (Node's IncomingHttpHeaders, Kafka headers). */
export function headerValue(value: string | string[] | Buffer | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return typeof value === 'string' ? value : value.toString('latin1');
}

const requestSpans = new WeakMap<FastifyRequest, TraceParent>();

/** The trace context of an HTTP request, as its edge span (or, tracing off, the `traceparent` it came with). */
export function requestTrace(request: FastifyRequest): TraceParent {
  return requestSpans.get(request) ?? headerValue(request.headers[TRACEPARENT_HEADER]);
}

/**
 * The edge span of every HTTP request (SERVER, child of an incoming `traceparent`), and the
 * `traceresponse` header on every answer. Tracing off: no span; a request that came with a
 * `traceparent` gets it back as `traceresponse` (the caller's trace, which apps further on may
 * record), and the hook is a header lookup.
 */
export function registerHttpTracing(fastify: FastifyInstance, tracer: Tracing): void {
  if (!tracer.enabled) {
    fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const incoming = headerValue(request.headers[TRACEPARENT_HEADER]);
      if (incoming !== undefined) reply.header(TRACERESPONSE_HEADER, incoming);
      done();
    });
    return;
  }
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const incoming = headerValue(request.headers[TRACEPARENT_HEADER]);
    const span = tracer.startTrace(`${request.method} ${route}`, incoming, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'http.route': route, 'falaj.request_id': String(request.id) },
    });
    // Outside the sample the request is as when tracing is off: its own traceparent, if any, handed back and on.
    const answered = span === undefined ? incoming : tracer.traceparentOf(span);
    if (span !== undefined) requestSpans.set(request, span);
    if (answered !== undefined) reply.header(TRACERESPONSE_HEADER, answered);
    done();
  });
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const span = requestSpans.get(request);
    if (span !== undefined && typeof span !== 'string') {
      span.setAttribute('http.response.status_code', reply.statusCode);
      endSpan(span, reply.statusCode >= 500 ? new Error(`HTTP ${reply.statusCode}`) : undefined);
    }
    done();
  });
}
