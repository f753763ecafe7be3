import { Counter, Histogram } from 'prom-client';
import type { AppMetrics } from './app-metrics';
import { LATENCY_BUCKETS, getOrPut, observeTraced } from './app-metrics';
import { OUTCOMES, UNKNOWN_MODEL, UNPLACED, isRejection, outcomeIndex } from './outcome.policy';

/** One edge call's series, bound once per tenant × model × version × pool × protocol. */
interface EdgeSeries {
  outcomes: ({ inc(): void } | undefined)[];
  duration: { observe(value: number): void };
  /** The duration's labels as an object, for a traced call's observation with its exemplar. */
  durationLabels: Record<'tenant' | 'model' | 'version' | 'pool' | 'protocol', string>;
  rejected: Map<number, { inc(): void }>;
  labels: [tenant: string, model: string, protocol: string];
}

type ByProtocol = Map<string, EdgeSeries>;
type ByPool = Map<string | null, ByProtocol>;
type ByVersion = Map<number | null, ByPool>;

/**
 * The inference edge's metrics, the same on every entry point (the gateway's REST, binary, gRPC
 * and KServe v1; the router's Kafka bridge; the registry's batch and async rows), counted where
 * each edge builds the call's audit event, so the metrics and the audit log tell the same story.
 * Children are bound once per label set and kept: a call costs a few Map lookups, no label
 * object or string of its own.
 */
export class InferenceMetrics {
  readonly requests: Counter<'tenant' | 'model' | 'version' | 'pool' | 'protocol' | 'outcome'>;
  readonly duration: Histogram<'tenant' | 'model' | 'version' | 'pool' | 'protocol'>;
  readonly rejected: Counter<'tenant' | 'model' | 'protocol' | 'code'>;
  private readonly series = new Map<string, Map<string, ByVersion>>();

  constructor(metrics: AppMetrics) {
    const registers = [metrics.registry];
    this.requests = new Counter({
      name: 'falaj_inference_requests_total',
      help: 'Inference calls answered at this edge, by tenant, model, version and pool served (empty: refused before placement), protocol and outcome (success, client_error, rejected, timeout, server_error); Triton: nv_inference_request_success / _failure',
      labelNames: ['tenant', 'model', 'version', 'pool', 'protocol', 'outcome'] as const,
      registers,
    });
    this.duration = new Histogram({
      name: 'falaj_inference_request_duration_seconds',
      help: 'End-to-end time of an inference call at this edge, from its arrival to its answer (audit event included); Triton: nv_inference_request_duration_us',
      labelNames: ['tenant', 'model', 'version', 'pool', 'protocol'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
      enableExemplars: true,
    });
    this.rejected = new Counter({
      name: 'falaj_inference_rejected_total',
      help: 'Inference calls refused with 429 (a quota) or 503 (no ready worker, load shed, a full pool stream or audit spool), by tenant, model, protocol and code',
      labelNames: ['tenant', 'model', 'protocol', 'code'] as const,
      registers,
    });
  }

  /**
   * One answered call. `known`: the tenant has a route for `model` (else it counts under
   * UNKNOWN_MODEL); `version` and `pool` are null when it was refused before placement;
   * `traceId`, a traced call's (recordedTraceId), becomes the duration's exemplar.
   */
  observe(tenant: string, model: string, known: boolean, version: number | null, pool: string | null, protocol: string, status: number, seconds: number, traceId?: string): void {
    const series = this.bound(tenant, known ? model : UNKNOWN_MODEL, version, pool, protocol);
    const index = outcomeIndex(status);
    (series.outcomes[index] ??= this.requests.labels(tenant, series.labels[1], version === null ? UNPLACED : String(version), pool ?? UNPLACED, protocol, OUTCOMES[index])).inc();
    if (traceId === undefined) series.duration.observe(seconds);
    else observeTraced(this.duration, series.durationLabels, seconds, traceId);
    if (isRejection(status)) getOrPut(series.rejected, status, () => this.rejected.labels(tenant, series.labels[1], protocol, String(status))).inc();
  }

  private bound(tenant: string, model: string, version: number | null, pool: string | null, protocol: string): EdgeSeries {
    const byModel = getOrPut(this.series, tenant, () => new Map<string, ByVersion>());
    const byVersion = getOrPut(byModel, model, () => new Map() as ByVersion);
    const byPool = getOrPut(byVersion, version, () => new Map() as ByPool);
    const byProtocol = getOrPut(byPool, pool, () => new Map() as ByProtocol);
    let series = byProtocol.get(protocol);
    if (!series) {
      const durationLabels = { tenant, model, version: version === null ? UNPLACED : String(version), pool: pool ?? UNPLACED, protocol };
      series = {
        outcomes: [],
        duration: this.duration.labels(durationLabels),
        durationLabels,
        rejected: new Map(),
        labels: [tenant, model, protocol],
      };
      byProtocol.set(protocol, series);
    }
    return series;
  }
}
