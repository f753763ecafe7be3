import { Logger } from '@nestjs/common';
import type { InferenceSession } from 'onnxruntime-node';
import type { DispatchRequest, LoadedModel, ServingVersion } from '@falaj/contracts';
import type { WorkerMetrics } from '@falaj/observability';
import type { ArtifactCache } from './artifact-cache';
import type { ArtifactSignatures } from './artifact-signatures';
import type { InferOutcome } from './batching/batch-execution';
import type { ExecutionProviderReport } from './execution-provider';
import type { ExecutionOverrides } from './execution-settings';
import { MemoryBudget } from './hosting/memory-budget';
import { ModelExecutor } from './hosting/model-executor';
import { ModelLoader } from './hosting/model-loader';
import { ModelTable, directRunsDone, modelKey, releaseInstances, type HostedModel, type ModelSlot } from './hosting/model-table';
import { leavesPlan, sameServing, servedVersions } from './hosting/serving-plan';

export type { InferOutcome } from './batching/batch-execution';
export { ModelNotLoadedError } from './hosting/model-executor';
export { modelKey, type HostedModel } from './hosting/model-table';

/**
 * The onnxruntime sessions one worker holds, keyed by tenant, model and version: the one face of
 * the parts in hosting/ (Triton's seams) to the rest of the worker. It follows the serving plan:
 * the versions it is told to serve are loaded and warmed (ModelLoader) before the worker reports
 * ready, and a version no longer in the plan is released once its successor is ready, after a
 * grace. Within a memory budget it is an LRU cache (MemoryBudget). Requests go through the
 * executor (ModelExecutor), each version's through a dynamic batcher on `instanceCount` sessions.
 * The table (ModelTable) holds every version's state.
 */

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
  /**
   * A version whose warm run takes longer than this (µs) puts every instance on a worker thread,
   * so the worker keeps reading and replying while a batch runs; a shorter one keeps its first
   * instance on the JavaScript thread, where a run costs no hand-off (default 1000; 0: always threads).
   */
  inlineRunMaxMicros?: number;
  /** The worker's metrics: loads, cold starts, evictions and requests per execution, per version. */
  metrics?: WorkerMetrics;
  /** The check of signed artifacts before a session is made (ArtifactSignatures). */
  signatures?: ArtifactSignatures;
}

export class ModelHost {
  private readonly logger = new Logger(ModelHost.name);
  private readonly table: ModelTable;
  private readonly budget: MemoryBudget;
  private readonly loader: ModelLoader;
  private readonly executor: ModelExecutor;
  /** Versions out of the plan, still serving until their grace ends. */
  private readonly draining = new Map<string, NodeJS.Timeout>();

  constructor(
    cache: ArtifactCache,
    provider: ExecutionProviderReport,
    intraOpThreads: number,
    private readonly options: ModelHostOptions = {},
  ) {
    this.table = new ModelTable(provider.name);
    this.budget = new MemoryBudget(this.table, options.memoryBudgetBytes ?? 0, options.metrics);
    this.loader = new ModelLoader(cache, provider, intraOpThreads, this.table, this.budget, options);
    this.executor = new ModelExecutor(this.table, this.loader);
  }

  get(tenantId: string, model: string, version: number): HostedModel | undefined {
    return this.table.get(modelKey(tenantId, model, version))?.hosted;
  }

  /** Estimated bytes of every loaded session. */
  get memoryBytes(): number {
    return this.table.memoryBytes;
  }

  get memoryBudgetBytes(): number {
    return this.budget.budgetBytes;
  }

  /** Requests queued in every version's batcher, waiting for an instance. */
  get queueDepth(): number {
    return this.table.queueDepth;
  }

  /** Runs a loaded version directly (no batching); a version being unloaded finishes the runs it has already started. */
  run(tenantId: string, model: string, version: number, feeds: InferenceSession.FeedsType, fetches?: string[]): Promise<InferenceSession.ReturnType> {
    return this.executor.run(tenantId, model, version, feeds, fetches);
  }

  /** Serves one request (ModelExecutor.infer). */
  infer(request: DispatchRequest): Promise<InferOutcome> {
    return this.executor.infer(request);
  }

  states(): LoadedModel[] {
    return this.table.states();
  }

  /**
   * Makes exactly these versions the ones served for the model (none for null): a deployment
   * may split traffic over several, or keep a shadow loaded beside them.
   */
  async serve(tenantId: string, model: string, serving: ServingVersion | readonly ServingVersion[] | null): Promise<void> {
    const wanted = servedVersions(serving);
    for (const version of wanted) {
      const key = modelKey(tenantId, model, version.version);
      // Wanted again while draining: it simply stays.
      clearTimeout(this.draining.get(key));
      this.draining.delete(key);
      let slot = this.table.get(key);
      if (slot?.hosted && !sameServing(slot.serving, version)) {
        await this.reload(key, slot, version);
        continue;
      }
      if (!slot || slot.state.state === 'failed') {
        slot = ModelTable.slot(tenantId, model, version, this.options.metrics?.version(tenantId, model, version.version));
        this.table.set(key, slot);
      }
      await this.loader.load(key, slot);
    }
    const keep = new Set(wanted.map((v) => modelKey(tenantId, model, v.version)));
    for (const [key, slot] of this.table.entries()) {
      if (leavesPlan(slot.state, key, tenantId, model, keep)) await this.retire(key, slot);
    }
  }

  /**
   * New serving settings for a loaded version (instances, batching, threads): it is loaded anew
   * beside the old sessions, which serve until the new ones are warm and then drain. If the new
   * load fails the old sessions go on serving, and the next plan tries again.
   */
  private async reload(key: string, old: ModelSlot, serving: ServingVersion): Promise<void> {
    const { tenantId, model } = old.state;
    const next = ModelTable.slot(tenantId, model, serving, old.series);
    await this.loader.load(key, next);
    if (!next.hosted) {
      this.logger.warn({ key, reason: next.state.reason }, 'new serving settings failed to load; the version serves on its old sessions');
      return;
    }
    if (this.table.get(key) !== old) {
      // Released or replaced while loading: the new sessions are not wanted.
      await this.release(key, next, 'replaced while reloading');
      return;
    }
    this.table.set(key, next);
    this.logger.log({ key, instances: next.hosted.instances.length }, 'version reloaded with new serving settings');
    await this.release(key, old, 'replaced by new serving settings');
  }

  /** Releases a version the plan no longer holds, after the grace in which gateways catch up. */
  private async retire(key: string, slot: ModelSlot): Promise<void> {
    const grace = this.options.unloadGraceMs ?? 0;
    if (grace === 0 || !slot.hosted) {
      this.table.delete(key);
      await this.release(key, slot, 'no longer served');
      return;
    }
    if (this.draining.has(key)) return;
    this.logger.log({ key, graceMs: grace }, 'version left the plan; draining before release');
    const timer = setTimeout(() => {
      this.draining.delete(key);
      if (this.table.get(key) !== slot) return;
      this.table.delete(key);
      void this.release(key, slot, 'no longer served (drained)');
    }, grace);
    timer.unref();
    this.draining.set(key, timer);
  }

  async close(): Promise<void> {
    for (const timer of this.draining.values()) clearTimeout(timer);
    this.draining.clear();
    for (const [key, slot] of this.table.entries()) {
      this.table.delete(key);
      await this.release(key, slot, 'worker closing');
    }
  }

  private async release(key: string, slot: ModelSlot, why: string): Promise<void> {
    await slot.loading;
    const hosted = slot.hosted;
    slot.hosted = undefined;
    await slot.batcher?.drained();
    await directRunsDone(slot);
    await releaseInstances(hosted?.instances ?? []);
    this.logger.log({ key, why }, 'model version unloaded');
  }
}
