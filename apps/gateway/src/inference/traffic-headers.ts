import type { FastifyRequest } from 'fastify';

/** The caller's sticky routing key and pinned version, from `x-routing-key` and `x-falaj-pin-version`. */
export function trafficHeaders(request: FastifyRequest): { routingKey?: string; pin?: string } {
  const one = (name: string): string | undefined => {
    const value = request.headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    return text === undefined || text === '' ? undefined : text.slice(0, 256);
  };
  return { routingKey: one('x-routing-key'), pin: one('x-falaj-pin-version') };
}
