export * from './traceparent';
export * from './tracing.config';
export * from './tracing';
export * from './trace-headers';
export { SpanKind } from '@opentelemetry/api';
export type { Span } from '@opentelemetry/api';
