import { Counter, Gauge, Histogram } from 'prom-client';
import type { AppMetrics } from './app-metrics';
import { BATCH_SIZE_BUCKETS, LATENCY_BUCKETS, LOAD_BUCKETS, getOrPut, observeTraced } from './app-metrics';
import { OUTCOMES, outcomeIndex } from './outcome.policy';

type VersionLabels = 'tenant' | 'model' | 'version' | 'pool';

/** One hosted version's series, bound once (a worker serves one pool: `pool` is fixed). */
export interface VersionSeries {
  queue: { observe(value: number): void };
  compute: { observe(value: number): void };
  batchSize: { observe(value: number): void };
  outcomes: ({ inc(): void } | undefined)[];
  labels: [tenant: string, model: string, version: string, pool: string];
  /** The same as an object, for a traced request's observations with their exemplars. */
  labelObject: Record<VersionLabels, string>;
}

/** What the worker holds now, read at scrape time only (never counted on the request path). */
export interface HostedVersionState {
  tenantId: string;
  model: string;
  version: number;
  queueDepth?: number;
  inFlight?: number;
  memoryBytes?: number;
}

/**
 * A worker's metrics, per tenant, model, version and its pool: queue and compute time per
 * request, requests per execution (the dynamic batcher's work), outcomes, model loads, cold
 * starts and evictions; pending requests and the model cache's bytes are read from the host at
 * scrape time.
 */
export class WorkerMetrics {
  readonly queue: Histogram<VersionLabels>;
  readonly compute: Histogram<VersionLabels>;
  readonly batchSize: Histogram<VersionLabels>;
  readonly requests: Counter<VersionLabels | 'outcome'>;
  readonly loads: Counter<VersionLabels | 'kind'>;
  readonly loadDuration: Histogram<VersionLabels | 'kind'>;
  readonly loadFailures: Counter<VersionLabels>;
  readonly evictions: Counter<VersionLabels>;
  private readonly series = new Map<string, Map<string, Map<number, VersionSeries>>>();

  constructor(
    metrics: AppMetrics,
    private readonly pool: string,
    hosted: () => readonly HostedVersionState[],
    budgetBytes: () => number,
  ) {
    const registers = [metrics.registry];
    const labelNames = ['tenant', 'model', 'version', 'pool'] as const;
    this.queue = new Histogram({
      name: 'falaj_inference_queue_duration_seconds',
      help: "Time a request waited on the worker side before its compute began: in the pool stream (from its XADD) and in the version's batcher; Triton: nv_inference_queue_duration_us",
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers,
      enableExemplars: true,
    });
    this.compute = new Histogram({
      name: 'falaj_inference_compute_duration_seconds',
      help: "onnxruntime run time of the execution that served a request (a batch's run, for each member); Triton: nv_inference_compute_infer_duration_us",
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers,
      enableExemplars: true,
    });
    this.batchSize = new Histogram({
      name: 'falaj_inference_batch_size',
      help: "Requests per execution (one observation per onnxruntime run); its _count is Triton's nv_inference_exec_count, its _sum the requests executed",
      labelNames,
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    });
    this.requests = new Counter({
      name: 'falaj_worker_requests_total',
      help: 'Requests this worker answered, by version and outcome (success, client_error, rejected, timeout, server_error)',
      labelNames: [...labelNames, 'outcome'] as const,
      registers,
    });
    this.loads = new Counter({
      name: 'falaj_model_loads_total',
      help: 'Versions loaded and warmed, by kind: load (the lifecycle or an operator asked) or cold_start (loaded again on demand after an eviction)',
      labelNames: [...labelNames, 'kind'] as const,
      registers,
    });
    this.loadDuration = new Histogram({
      name: 'falaj_model_load_duration_seconds',
      help: 'Time to load a version (artifact fetch, sessions, warm-up on every instance), by kind; kind="cold_start" is the cold-start time a request waited for',
      labelNames: [...labelNames, 'kind'] as const,
      buckets: LOAD_BUCKETS,
      registers,
    });
    this.loadFailures = new Counter({
      name: 'falaj_model_load_failures_total',
      help: 'Version loads that failed (artifact, onnxruntime)',
      labelNames,
      registers,
    });
    this.evictions = new Counter({
      name: 'falaj_model_evictions_total',
      help: 'Versions evicted from memory, least recently used first, to fit the model memory budget (loaded again on demand)',
      labelNames,
      registers,
    });
    new Gauge({
      name: 'falaj_inference_pending_requests',
      help: 'Requests a worker holds for a version now: queued in its batcher or running; Triton: nv_inference_pending_request_count',
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const m of hosted()) this.set({ tenant: m.tenantId, model: m.model, version: String(m.version), pool }, (m.queueDepth ?? 0) + (m.inFlight ?? 0));
      },
    });
    new Gauge({
      name: 'falaj_model_cache_bytes',
      help: "Estimated memory of a loaded version's sessions (artifact size × factor × instances); their sum is what the memory budget bounds",
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const m of hosted()) if (m.memoryBytes !== undefined) this.set({ tenant: m.tenantId, model: m.model, version: String(m.version), pool }, m.memoryBytes);
      },
    });
    new Gauge({
      name: 'falaj_model_cache_budget_bytes',
      help: 'The model memory budget of this worker (0: none)',
      labelNames: ['pool'] as const,
      registers,
      collect() {
        this.set({ pool }, budgetBytes());
      },
    });
  }

  /** A version's series, bound at its first use and kept (ModelHost keeps the handle per slot). */
  version(tenant: string, model: string, version: number): VersionSeries {
    const byModel = getOrPut(this.series, tenant, () => new Map<string, Map<number, VersionSeries>>());
    const byVersion = getOrPut(byModel, model, () => new Map<number, VersionSeries>());
    let series = byVersion.get(version);
    if (!series) {
      const labels: VersionSeries['labels'] = [tenant, model, String(version), this.pool];
      const labelObject = { tenant, model, version: String(version), pool: this.pool };
      series = { queue: this.queue.labels(...labels), compute: this.compute.labels(...labels), batchSize: this.batchSize.labels(...labels), outcomes: [], labels, labelObject };
      byVersion.set(version, series);
    }
    return series;
  }

  /**
   * One request answered: its outcome, and (when it ran) its queue and compute time — with the
   * request's trace id as their exemplars when it is traced.
   */
  answered(series: VersionSeries, status: number, queueSeconds?: number, computeSeconds?: number, traceId?: string): void {
    const index = outcomeIndex(status);
    (series.outcomes[index] ??= this.requests.labels(...series.labels, OUTCOMES[index])).inc();
    if (traceId !== undefined) {
      if (queueSeconds !== undefined) observeTraced(this.queue, series.labelObject, queueSeconds, traceId);
      if (computeSeconds !== undefined) observeTraced(this.compute, series.labelObject, computeSeconds, traceId);
      return;
    }
    if (queueSeconds !== undefined) series.queue.observe(queueSeconds);
    if (computeSeconds !== undefined) series.compute.observe(computeSeconds);
  }

  loaded(tenant: string, model: string, version: number, seconds: number, coldStart: boolean): void {
    const kind = coldStart ? 'cold_start' : 'load';
    const labels = { tenant, model, version: String(version), pool: this.pool, kind };
    this.loads.inc(labels);
    this.loadDuration.observe(labels, seconds);
  }

  loadFailed(tenant: string, model: string, version: number): void {
    this.loadFailures.inc({ tenant, model, version: String(version), pool: this.pool });
  }

  evicted(tenant: string, model: string, version: number): void {
    this.evictions.inc({ tenant, model, version: String(version), pool: this.pool });
  }
}
