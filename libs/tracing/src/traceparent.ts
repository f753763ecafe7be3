import { TraceFlags, type SpanContext } from '@opentelemetry/api';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): `version-traceid-parentid-flags`, lower
 * case hex. Version 00 has exactly four fields; a later version may add fields after the flags,
 * which a 00 parser ignores (§ 4.3 "versioning of traceparent"); `ff` is invalid, and so are the
 * all-zero trace id and parent id.
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
/** Longest header value looked at: a traceparent of a future version is still short. */
const MAX_TRACEPARENT_LENGTH = 512;

/** The remote span context a `traceparent` header names, or undefined when it is absent or invalid (then a new trace starts). */
export function parseTraceparent(header: string | string[] | undefined): SpanContext | undefined {
  // Several traceparent headers: the spec says to treat the request as carrying none.
  if (Array.isArray(header)) return header.length === 1 ? parseTraceparent(header[0]) : undefined;
  if (header === undefined || header.length > MAX_TRACEPARENT_LENGTH) return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) & TraceFlags.SAMPLED, isRemote: true };
}

/** The version-00 `traceparent` (and `traceresponse`, W3C Trace Context level 2) of a span context. */
export function formatTraceparent(context: Pick<SpanContext, 'traceId' | 'spanId' | 'traceFlags'>): string {
  const flags = context.traceFlags & TraceFlags.SAMPLED ? '01' : '00';
  return `00-${context.traceId}-${context.spanId}-${flags}`;
}
