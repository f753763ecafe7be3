import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { AppMetrics } from '@falaj/observability';

/**
 * The gateway's own Prometheus metrics, beside the shared ones (@falaj/observability): its
 * admission limits and its audit spool. Registered in the app's one registry; the gauges are
 * read at scrape time from the services that hold the numbers (`readInFlight`, `readSpool`).
 */
@Injectable()
export class GatewayMetrics {
  private inFlightNow: () => { requests: number; bytes: number } = () => ({ requests: 0, bytes: 0 });
  private spoolNow: () => { spooledBytes: number; spooledEvents: number } = () => ({ spooledBytes: 0, spooledEvents: 0 });
  readonly refused: Counter<'limit'>;
  readonly auditDropped: Counter<'reason'>;
  readonly auditSpoolSkipped: Counter;
  readonly auditSpoolWriteFailures: Counter;

  constructor(metrics: AppMetrics) {
    const registers = [metrics.registry];
    const read = {
      inFlight: () => this.inFlightNow(),
      spool: () => this.spoolNow(),
    };
    this.refused = new Counter({
      name: 'falaj_gateway_refused_total',
      help: "Requests refused with 503 before dispatch, by the limit they were over (gateway, tenant, bytes in flight; stream_entries, stream_bytes: the pool stream's budget; audit_spool: no room for a must-audit call's event)",
      labelNames: ['limit'] as const,
      registers,
    });
    new Gauge({
      name: 'falaj_gateway_in_flight_requests',
      help: 'Requests this gateway holds past admission and not yet answered',
      registers,
      collect() {
        this.set(read.inFlight().requests);
      },
    });
    new Gauge({
      name: 'falaj_gateway_in_flight_request_bytes',
      help: 'Decoded request bytes this gateway has dispatched and not yet seen answered',
      registers,
      collect() {
        this.set(read.inFlight().bytes);
      },
    });
    new Gauge({
      name: 'falaj_gateway_audit_spool_bytes',
      help: "Bytes of audit events on disk in this gateway's spool (FALAJ_AUDIT_SPOOL_MAX_BYTES bounds it); grows while Kafka is away",
      registers,
      collect() {
        this.set(read.spool().spooledBytes);
      },
    });
    new Gauge({
      name: 'falaj_gateway_audit_spool_events',
      help: 'Audit events spooled and not yet acknowledged by Kafka: the audit lag, in events',
      registers,
      collect() {
        this.set(read.spool().spooledEvents);
      },
    });
    this.auditDropped = new Counter({
      name: 'falaj_gateway_audit_dropped_total',
      help: 'Audit events dropped, by reason: spool_full (the spool at its bound: calls of tenants that are not must-audit are served unaudited), invalid (the event schema refused it)',
      labelNames: ['reason'] as const,
      registers,
    });
    this.auditSpoolSkipped = new Counter({
      name: 'falaj_gateway_audit_spool_skipped_total',
      help: 'Lines of the spool read back at start that were not whole events (a write a crash cut short) and were skipped',
      registers,
    });
    this.auditSpoolWriteFailures = new Counter({
      name: 'falaj_gateway_audit_spool_write_failures_total',
      help: 'Spool writes (or fdatasyncs) that failed; must-audit calls are refused until one succeeds',
      registers,
    });
  }

  /** The in-flight limiter's numbers, read at each scrape. */
  readInFlight(read: () => { requests: number; bytes: number }): void {
    this.inFlightNow = read;
  }

  /** The audit spool's numbers, read at each scrape. */
  readSpool(read: () => { spooledBytes: number; spooledEvents: number }): void {
    this.spoolNow = read;
  }
}
