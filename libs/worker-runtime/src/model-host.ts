import { stat } from 'node:fs/promises';
import { Logger } from '@nestjs/common';
import { InferenceSession, type Tensor } from 'onnxruntime-node';
import type { DispatchRequest, LoadedModel, ModelSignature, ServingVersion, TensorPayload } from '@falaj/contracts';
import { fromOrtTensor, toOrtTensor } from '@falaj/onnx';
import type { VersionSeries, WorkerMetrics } from '@falaj/observability';
import { endSpan, tracing, type Span } from '@falaj/tracing';
import { ArtifactFetchError, type ArtifactCache } from './artifact-cache';
import { BatchSplitError, mergeFeeds, splitOutputs } from './batching/batch-tensors';
import { DynamicBatcher, type BatchMember } from './batching/dynamic-batcher';
import { RequestRejectedError, batchKey, checkRequest, hasBatchDimension } from './batching/request-check';
import type { ExecutionProviderReport } from './execution-provider';
import { resolveExecutionSettings, type ExecutionOverrides, type ExecutionSettings } from './execution-settings';
import { ExecutionStats } from './execution-stats';
import { requestSpans } from './request-spans';
import { inProcessRunner, ThreadRunner, type InstanceRunner } from './session-thread';
import { warmupBytes, warmupFeeds } from './warmup-feeds';

export interface HostedModel {
  tenantId: string;
  model: string;
  version: number;
  signature: ModelSignature;
  /** The first instance's session, on the worker's JavaScript thread. */
  session: InferenceSession;
  /** Every instance: the first on the JavaScript thread, the others each on a worker thread. */
  instances: InstanceRunner[];
  settings: ExecutionSettings;
}

/** What one request came to: its outputs, or a status and the reason. */
export type InferOutcome =
  | { ok: true; outputs: TensorPayload[]; computeMs: number; batchRequests: number }
  | { ok: false; status: number; error: string };

export interface ModelHostOptions {
  /** Worker-wide switches that beat every version's spec (FALAJ_BATCHING etc.). */
  overrides?: ExecutionOverrides;
  /** Sessions' estimated memory may not exceed this; least recently used versions go first. 0 = no limit. */
  memoryBudgetBytes?: number;
  /** Estimated cost of one session = artifact size × this factor. */
  memoryFactor?: number;
  /**
   * How long a version that leaves the plan keeps serving before it is released (0: at once).
   * Gateways learn of a route change a moment after the workers do; without this drain, the
   * requests they send the old version in that moment would find it gone.
   */
  unloadGraceMs?: number;
  /**
   * Largest warm-up feed in bytes (undefined: no limit). A model declaring inputs larger than
   * this is served without a warm-up run: allocating its declared shape on every instance of
   * every worker is what a hostile model asks for.
   */
  warmupMaxBytes?: number;
  /** The worker's metrics: loads, cold starts, evictions and requests per execution, per version. */
  metrics?: WorkerMetrics;
}

interface Slot {
  state: LoadedModel;
  serving: ServingVersion;
  hosted?: HostedModel;
  batcher?: DynamicBatcher<DispatchRequest, InferOutcome>;
  stats?: ExecutionStats;
  /** The version's metric series, bound when the slot is made. */
  series?: VersionSeries;
  /** Estimated bytes of the slot's sessions while loaded. */
  costBytes: number;
  lastUsed: number;
  /** Direct `run` calls in progress (the batcher tracks its own). */
  running: number;
  /** Resolves a release waiting for those runs. */
  runsDone?: () => void;
  loading?: Promise<void>;
  loads: number;
  rr: number;
  /** Failed loads in a row that are worth retrying (the registry was away). */
  attempt?: number;
}

export class ModelNotLoadedError extends Error {}

export const modelKey = (tenantId: string, model: string, version: number): string => `${tenantId}/${model}@${version}`;

/**
 * The onnxruntime sessions one worker holds, keyed by tenant, model and version. It follows the
 * lifecycle: the production version of each model is loaded and warmed before it reports ready,
 * and a version no longer in production is released once its successor is ready. Within a memory
 * budget it is an LRU cache: to make room it evicts the least recently used idle version (state
 * `unloaded`: still known and served), which is loaded again by the first request that needs it.
 * Each version runs its requests through a dynamic batcher on `instanceCount` sessions.
 */
export class ModelHost {
  private readonly logger = new Logger(ModelHost.name);
  private readonly slots = new Map<string, Slot>();
  /** Versions out of the plan, still serving until their grace ends. */
  private readonly draining = new Map<string, NodeJS.Timeout>();
  private readonly budget: number;
  private readonly factor: number;

  constructor(
    private readonly cache: ArtifactCache,
    private readonly provider: ExecutionProviderReport,
    private readonly intraOpThreads: number,
    private readonly options: ModelHostOptions = {},
  ) {
    this.budget = options.memoryBudgetBytes ?? 0;
    this.factor = options.memoryFactor ?? 2;
  }

  get(tenantId: string, model: string, version: number): HostedModel | undefined {
    return this.slots.get(modelKey(tenantId, model, version))?.hosted;
  }

  /** Estimated bytes of every loaded session. */
  get memoryBytes(): number {
    let total = 0;
    for (const slot of this.slots.values()) if (slot.hosted) total += slot.costBytes;
    return total;
  }

  get memoryBudgetBytes(): number {
    return this.budget;
  }

  /** Requests queued in every version's batcher, waiting for an instance. */
  get queueDepth(): number {
    let depth = 0;
    for (const slot of this.slots.values()) depth += slot.batcher?.queueDepth ?? 0;
    return depth;
  }

  /** Runs a loaded version directly (no batching); a version being unloaded finishes the runs it has already started. */
  async run(
    tenantId: string,
    model: string,
    version: number,
    feeds: InferenceSession.FeedsType,
    fetches?: string[],
  ): Promise<InferenceSession.ReturnType> {
    const slot = this.slots.get(modelKey(tenantId, model, version));
    if (!slot?.hosted) {
      const state = slot?.state.state ?? 'not hosted';
      throw new ModelNotLoadedError(`model '${model}' version ${version} is ${state} on this worker`);
    }
    const { instances } = slot.hosted;
    const instance = instances[slot.rr++ % instances.length];
    slot.running++;
    slot.lastUsed = performance.now();
    try {
      return await instance.run(feeds as Record<string, Tensor>, fetches && fetches.length > 0 ? fetches : undefined);
    } finally {
      if (--slot.running === 0) slot.runsDone?.();
    }
  }

  /**
   * Serves one request through its version's batcher. A known version evicted from memory is
   * loaded first (a cold start, logged and reported); a malformed request is refused before it
   * can join a batch.
   */
  async infer(request: DispatchRequest): Promise<InferOutcome> {
    const key = modelKey(request.tenantId, request.model, request.version);
    const slot = this.slots.get(key);
    if (!slot) return notServed(request, 'not hosted');
    slot.lastUsed = performance.now();
    // A version this worker is told to serve and is loading now: the request waits for the load
    // (warm-up included) rather than being answered 503 by a worker that will have it in a moment.
    if (!slot.hosted && slot.loading) await slot.loading;
    if (!slot.hosted) {
      if (slot.state.state !== 'unloaded') return notServed(request, slot.state.state);
      const waited = performance.now();
      await this.load(key, slot);
      if (!slot.hosted) return notServed(request, slot.state.state);
      this.logger.log({ key, requestId: request.requestId, waitedMs: Math.round(performance.now() - waited) }, 'served a request after an on-demand load');
    }
    const hosted = slot.hosted;
    try {
      checkRequest(request.inputs, hosted.signature);
    } catch (error) {
      return { ok: false, status: 400, error: (error as Error).message };
    }
    const batch = batchKey(request.inputs, request.outputs);
    return (slot.batcher as DynamicBatcher<DispatchRequest, InferOutcome>).submit(request, batch?.key ?? null, batch?.size ?? 1);
  }

  states(): LoadedModel[] {
    return [...this.slots.values()].map((slot) => this.describe(slot));
  }

  /**
   * Makes exactly these versions the ones served for the model (none for null): a deployment
   * may split traffic over several, or keep a shadow loaded beside them.
   */
  async serve(tenantId: string, model: string, serving: ServingVersion | readonly ServingVersion[] | null): Promise<void> {
    const wanted = serving === null ? [] : 'version' in serving ? [serving] : serving;
    for (const version of wanted) {
      const key = modelKey(tenantId, model, version.version);
      // Wanted again while draining: it simply stays.
      clearTimeout(this.draining.get(key));
      this.draining.delete(key);
      let slot = this.slots.get(key);
      if (!slot || slot.state.state === 'failed') {
        slot = {
          state: { tenantId, model, version: version.version, state: 'loading' },
          serving: version,
          costBytes: 0,
          lastUsed: performance.now(),
          running: 0,
          loads: 0,
          rr: 0,
          series: this.options.metrics?.version(tenantId, model, version.version),
        };
        this.slots.set(key, slot);
      }
      await this.load(key, slot);
    }
    const keep = new Set(wanted.map((v) => modelKey(tenantId, model, v.version)));
    for (const [key, slot] of this.slots) {
      if (slot.state.tenantId === tenantId && slot.state.model === model && !keep.has(key)) await this.retire(key, slot);
    }
  }

  /** Releases a version the plan no longer holds, after the grace in which gateways catch up. */
  private async retire(key: string, slot: Slot): Promise<void> {
    const grace = this.options.unloadGraceMs ?? 0;
    if (grace === 0 || !slot.hosted) {
      this.slots.delete(key);
      await this.release(key, slot, 'no longer served');
      return;
    }
    if (this.draining.has(key)) return;
    this.logger.log({ key, graceMs: grace }, 'version left the plan; draining before release');
    const timer = setTimeout(() => {
      this.draining.delete(key);
      if (this.slots.get(key) !== slot) return;
      this.slots.delete(key);
      void this.release(key, slot, 'no longer served (drained)');
    }, grace);
    timer.unref();
    this.draining.set(key, timer);
  }

  async close(): Promise<void> {
    for (const timer of this.draining.values()) clearTimeout(timer);
    this.draining.clear();
    for (const [key, slot] of this.slots) {
      this.slots.delete(key);
      await this.release(key, slot, 'worker closing');
    }
  }

  private describe(slot: Slot): LoadedModel {
    const state: LoadedModel = { ...slot.state, provider: this.provider.name, loads: slot.loads };
    if (slot.hosted) {
      state.instances = slot.hosted.instances.length;
      state.memoryBytes = slot.costBytes;
      state.batching = slot.hosted.settings.batching.enabled;
      state.queueDepth = slot.batcher?.queueDepth ?? 0;
      state.inFlight = (slot.batcher?.running ?? 0) + slot.running;
    }
    if (slot.stats) state.stats = slot.stats.snapshot();
    return state;
  }

  /** Loads a slot's version once (concurrent callers share the load), warming every instance. */
  private load(key: string, slot: Slot): Promise<void> {
    if (slot.hosted) return Promise.resolve();
    slot.loading ??= this.loadNow(key, slot).finally(() => (slot.loading = undefined));
    return slot.loading;
  }

  private async loadNow(key: string, slot: Slot): Promise<void> {
    const { serving } = slot;
    const settings = resolveExecutionSettings(serving.serving, {
      ...(this.intraOpThreads > 0 ? { intraOpThreads: this.intraOpThreads } : {}),
      ...this.options.overrides,
    });
    slot.state = { ...slot.state, state: 'loading', reason: undefined };
    const started = performance.now();
    const instances: InstanceRunner[] = [];
    try {
      const path = await this.cache.fetch(serving.artifact);
      const costBytes = Math.round((await stat(path)).size * this.factor * settings.instanceCount);
      await this.makeRoom(key, costBytes);
      const options: InferenceSession.SessionOptions = {
        executionProviders: this.provider.executionProviders,
        graphOptimizationLevel: settings.graphOptimizationLevel,
        enableCpuMemArena: settings.enableMemoryArena,
        ...(settings.intraOpThreads > 0 ? { intraOpNumThreads: settings.intraOpThreads } : {}),
      };
      // onnxruntime-node runs a session synchronously on its calling thread: the first instance
      // lives on this thread (no hand-off for the common single-instance case), the others on
      // worker threads so that instances really run side by side.
      const session = await InferenceSession.create(path, options);
      instances.push(inProcessRunner(session));
      for (let i = 1; i < settings.instanceCount; i++) instances.push(await ThreadRunner.create(path, options));
      if (this.warmupFits(key, serving.signature)) for (const instance of instances) await this.warmUp(key, instance, serving.signature);
      const hosted: HostedModel = { ...slot.state, signature: serving.signature, session, instances, settings };
      if (!this.slots.has(key)) throw new Error('released while loading');
      slot.hosted = hosted;
      slot.costBytes = costBytes;
      slot.stats ??= new ExecutionStats();
      slot.batcher = new DynamicBatcher(settings.batching, instances.length, hasBatchDimension(serving.signature), (instance, members) =>
        this.runBatch(slot, hosted, instance, members),
      );
      slot.loads++;
      slot.attempt = 0;
      const loadMs = Math.round(performance.now() - started);
      this.options.metrics?.loaded(slot.state.tenantId, slot.state.model, slot.state.version, (performance.now() - started) / 1000, slot.loads > 1);
      slot.state = { ...slot.state, state: 'ready', loadMs };
      this.logger.log(
        { key, provider: this.provider.name, loadMs, instances: instances.length, memoryBytes: costBytes, batching: settings.batching, load: slot.loads },
        slot.loads > 1 ? 'model version reloaded on demand and warmed (cold start)' : 'model version loaded and warmed',
      );
    } catch (error) {
      await Promise.all(instances.map((s) => s.release().catch(() => undefined)));
      slot.state = { ...slot.state, state: 'failed', reason: (error as Error).message };
      this.options.metrics?.loadFailed(slot.state.tenantId, slot.state.model, slot.state.version);
      this.logger.error({ key, attempt: slot.attempt ?? 0, error: (error as Error).message }, 'model version failed to load');
      if (error instanceof ArtifactFetchError && error.transient) this.retryLater(key, slot);
    }
  }

  /** Registry away (a restart, a boot race): try again with backoff while the version is still wanted. */
  private retryLater(key: string, slot: Slot): void {
    slot.attempt = (slot.attempt ?? 0) + 1;
    const delayMs = Math.min(30_000, 250 * 2 ** Math.min(slot.attempt, 7));
    const timer = setTimeout(() => {
      if (this.slots.get(key) !== slot) return; // unloaded or replaced meanwhile
      void this.load(key, slot);
    }, delayMs);
    timer.unref();
  }

  /**
   * One run on zero-filled inputs so the first caller does not pay for arena allocation. Some
   * valid models refuse zeros (a Reshape whose target shape is an input, an index that must be
   * in range…): that says nothing about real requests, so the version is served anyway.
   */
  private warmupFits(key: string, signature: ModelSignature): boolean {
    const limit = this.options.warmupMaxBytes;
    const bytes = warmupBytes(signature);
    if (limit === undefined || bytes <= limit) return true;
    this.logger.warn({ key, feedBytes: bytes, limitBytes: limit }, 'warm-up skipped: its feed would exceed FALAJ_WARMUP_MAX_BYTES');
    return false;
  }

  private async warmUp(key: string, instance: InstanceRunner, signature: ModelSignature): Promise<void> {
    try {
      await instance.run(warmupFeeds(signature));
    } catch (error) {
      this.logger.warn({ key, error: (error as Error).message }, 'warm-up run failed on zero inputs; serving without warm-up');
    }
  }

  /** Evicts least recently used idle versions until `costBytes` more fits the budget. */
  private async makeRoom(key: string, costBytes: number): Promise<void> {
    if (this.budget <= 0) return;
    const victims = [...this.slots.entries()]
      .filter(([k, s]) => k !== key && s.hosted)
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [victimKey, victim] of victims) {
      if (this.memoryBytes + costBytes <= this.budget) return;
      await this.evict(victimKey, victim);
    }
    if (this.memoryBytes + costBytes > this.budget) {
      // A model larger than the whole budget still serves: refusing production would be worse.
      this.logger.warn({ key, costBytes, budgetBytes: this.budget, usedBytes: this.memoryBytes }, 'model memory budget exceeded');
    }
  }

  private async evict(key: string, slot: Slot): Promise<void> {
    const hosted = slot.hosted;
    const batcher = slot.batcher;
    slot.hosted = undefined;
    slot.batcher = undefined;
    slot.state = { ...slot.state, state: 'unloaded' };
    await batcher?.drained();
    await this.directRunsDone(slot);
    await Promise.all((hosted?.instances ?? []).map((s) => s.release().catch(() => undefined)));
    this.options.metrics?.evicted(slot.state.tenantId, slot.state.model, slot.state.version);
    this.logger.log({ key, freedBytes: slot.costBytes }, 'model version evicted (least recently used); loads again on demand');
  }

  private async release(key: string, slot: Slot, why: string): Promise<void> {
    await slot.loading;
    const hosted = slot.hosted;
    slot.hosted = undefined;
    await slot.batcher?.drained();
    await this.directRunsDone(slot);
    await Promise.all((hosted?.instances ?? []).map((s) => s.release().catch(() => undefined)));
    this.logger.log({ key, why }, 'model version unloaded');
  }

  private directRunsDone(slot: Slot): Promise<void> {
    if (slot.running === 0) return Promise.resolve();
    return new Promise<void>((resolve) => (slot.runsDone = resolve));
  }

  /**
   * One run for the whole batch; its outputs are cut back per member. If the merged run fails
   * (a member the checks let through, or a model that does not batch along axis 0), every member
   * runs alone so only the bad one fails.
   */
  private async runBatch(
    slot: Slot,
    hosted: HostedModel,
    instance: number,
    members: BatchMember<DispatchRequest, InferOutcome>[],
  ): Promise<void> {
    const session = hosted.instances[instance];
    // Under overload a request can outwait its caller in the queue: running it would only delay the live ones.
    const now = Date.now();
    const late = members.filter((m) => now > m.item.deadline);
    if (late.length > 0) {
      for (const m of late) m.resolve({ ok: false, status: 504, error: 'the deadline passed while the request was queued' });
      members = members.filter((m) => now <= m.item.deadline);
      if (members.length === 0) return;
    }
    const batch = batchSpan(hosted, instance, members);
    if (members.length > 1) {
      const started = performance.now();
      const run = batch && tracing().startSpan('onnxruntime run', batch, { attributes: { 'falaj.batch.size': members.length } });
      try {
        const feeds = mergeFeeds(members.map((m) => m.item.inputs));
        const results = await session.run(feeds, fetchesOf(members[0].item));
        const computeMs = performance.now() - started;
        const split = splitOutputs(results, members.map((m) => m.size));
        slot.stats?.record(computeMs, members.length);
        slot.series?.batchSize.observe(members.length);
        endSpan(run);
        endSpan(batch);
        members.forEach((m, i) => m.resolve({ ok: true, outputs: split[i], computeMs, batchRequests: members.length }));
        return;
      } catch (error) {
        endSpan(run, error);
        slot.stats?.recordFallback();
        const level = error instanceof BatchSplitError ? 'warn' : 'log';
        this.logger[level](
          { model: hosted.model, version: hosted.version, members: members.length, error: (error as Error).message },
          'batched run failed; running its members one by one',
        );
      }
    }
    for (const member of members) member.resolve(await this.runOne(slot, session, member.item, batch));
    endSpan(batch);
  }

  private async runOne(slot: Slot, session: InstanceRunner, request: DispatchRequest, batch?: Span): Promise<InferOutcome> {
    const started = performance.now();
    const parent = batch ?? requestSpans.get(request);
    const run = parent && tracing().startSpan('onnxruntime run', parent, { attributes: { 'falaj.batch.size': 1 } });
    try {
      const feeds = Object.fromEntries(request.inputs.map((t) => [t.name, toOrtTensor(t)]));
      const results = await session.run(feeds, fetchesOf(request));
      const computeMs = performance.now() - started;
      slot.stats?.record(computeMs, 1);
      slot.series?.batchSize.observe(1);
      endSpan(run);
      return { ok: true, outputs: Object.entries(results).map(([name, t]) => fromOrtTensor(name, t)), computeMs, batchRequests: 1 };
    } catch (error) {
      endSpan(run, error);
      const message = (error as Error).message;
      if (error instanceof RequestRejectedError || error instanceof RangeError) return { ok: false, status: 400, error: message };
      this.logger.warn({ requestId: request.requestId, model: request.model, error: message }, 'inference failed');
      return { ok: false, status: 500, error: `model execution failed: ${message}` };
    }
  }
}

/**
 * The batch's span, when any member is traced: each traced member's queue wait ends now (a span
 * from its arrival in the batcher), and the batch links every traced member's span. It hangs
 * under the first traced member (a span has one parent) and names all of them in
 * `falaj.batch.members` too, since Zipkin keeps no links.
 */
function batchSpan(hosted: HostedModel, instance: number, members: BatchMember<DispatchRequest, InferOutcome>[]): Span | undefined {
  const tracer = tracing();
  if (!tracer.enabled) return undefined;
  const traced = members.flatMap((m) => {
    const span = requestSpans.get(m.item);
    return span ? [{ member: m, span }] : [];
  });
  if (traced.length === 0) return undefined;
  const now = performance.now();
  for (const { member, span } of traced) endSpan(tracer.startSpan('queue', span, { startTime: member.enqueuedAt }), undefined, now);
  return tracer.startSpan('batch', traced[0].span, {
    links: traced.map((t) => t.span),
    attributes: {
      'falaj.model': hosted.model, 'falaj.version': hosted.version, 'falaj.instance': instance, 'falaj.batch.size': members.length,
      'falaj.batch.members': traced.map((t) => `${t.span.spanContext().traceId}-${t.span.spanContext().spanId}`).join(','),
    },
  });
}

const fetchesOf = (request: DispatchRequest): string[] | undefined => (request.outputs.length > 0 ? request.outputs : undefined);

function notServed(request: DispatchRequest, state: string): InferOutcome {
  return { ok: false, status: 503, error: `model '${request.model}' version ${request.version} is ${state} on this worker` };
}
