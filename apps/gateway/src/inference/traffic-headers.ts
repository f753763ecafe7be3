import type { FastifyRequest } from 'fastify';
import type { InferResult } from './inference.service';

/** The caller's sticky routing key and pinned version, from `x-routing-key` and `x-falaj-pin-version`. */
export function trafficHeaders(request: FastifyRequest): { routingKey?: string; pin?: string } {
  const one = (name: string): string | undefined => {
    const value = request.headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    return text === undefined || text === '' ? undefined : text.slice(0, 256);
  };
  return { routingKey: one('x-routing-key'), pin: one('x-falaj-pin-version') };
}

/** What served an answer and why: the version, the pool and the placement's explanation. */
export function servedHeaders(requestId: string, result: InferResult): Record<string, string> {
  return {
    'x-request-id': requestId,
    'x-falaj-model-version': String(result.version),
    'x-falaj-pool': result.pool,
    'x-falaj-placement': result.placement,
  };
}
