import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';

/** The gateway's Prometheus metrics: its admission limits (served at /metrics to operators). */
@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly refused = new Counter({
    name: 'falaj_gateway_refused_total',
    help: 'Requests refused with 503 before dispatch, by the limit they were over (gateway, tenant, bytes in flight; stream_entries, stream_bytes: the pool stream\'s budget)',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'falaj_gateway_in_flight_requests',
    help: 'Requests this gateway holds past admission and not yet answered',
    registers: [this.registry],
  });
  readonly inFlightBytes = new Gauge({
    name: 'falaj_gateway_in_flight_request_bytes',
    help: 'Decoded request bytes this gateway has dispatched and not yet seen answered',
    registers: [this.registry],
  });
}
