import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';

/** The gateway's Prometheus metrics: its admission limits and its audit spool (served at /metrics to operators). */
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
  readonly auditSpoolBytes = new Gauge({
    name: 'falaj_gateway_audit_spool_bytes',
    help: 'Bytes of audit events on disk in this gateway\'s spool (FALAJ_AUDIT_SPOOL_MAX_BYTES bounds it); grows while Kafka is away',
    registers: [this.registry],
  });
  readonly auditSpoolEvents = new Gauge({
    name: 'falaj_gateway_audit_spool_events',
    help: 'Audit events spooled and not yet acknowledged by Kafka: the audit lag, in events',
    registers: [this.registry],
  });
  readonly auditDropped = new Counter({
    name: 'falaj_gateway_audit_dropped_total',
    help: 'Audit events dropped, by reason: spool_full (the spool at its bound: calls of tenants that are not must-audit are served unaudited), invalid (the event schema refused it)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly auditSpoolSkipped = new Counter({
    name: 'falaj_gateway_audit_spool_skipped_total',
    help: 'Lines of the spool read back at start that were not whole events (a write a crash cut short) and were skipped',
    registers: [this.registry],
  });
  readonly auditSpoolWriteFailures = new Counter({
    name: 'falaj_gateway_audit_spool_write_failures_total',
    help: 'Spool writes (or fdatasyncs) that failed; must-audit calls are refused until one succeeds',
    registers: [this.registry],
  });
}
