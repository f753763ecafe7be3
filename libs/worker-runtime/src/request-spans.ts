import type { DispatchRequest } from '@falaj/contracts';
import type { Span } from '@falaj/tracing';

/**
 * The span of each request this worker serves (started when its stream entry is read, when the
 * entry carried a `traceparent` and tracing is on), for the batch that runs it: the batch links
 * its members' spans and each member's queue wait hangs under its own.
 */
export const requestSpans = new WeakMap<DispatchRequest, Span>();
