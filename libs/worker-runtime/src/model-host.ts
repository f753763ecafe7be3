import { Logger } from '@nestjs/common';
import { InferenceSession } from 'onnxruntime-node';
import type { LoadedModel, ModelSignature, ServingVersion } from '@falaj/contracts';
import { ArtifactFetchError, type ArtifactCache } from './artifact-cache';
import type { ExecutionProviderReport } from './execution-provider';
import { warmupFeeds } from './warmup-feeds';

export interface HostedModel {
  tenantId: string;
  model: string;
  version: number;
  signature: ModelSignature;
  session: InferenceSession;
}

interface Slot {
  state: LoadedModel;
  hosted?: HostedModel;
  /** Runs in progress on the session; it is released only once they are done. */
  running: number;
  drained?: () => void;
}

export class ModelNotLoadedError extends Error {}

export const modelKey = (tenantId: string, model: string, version: number): string => `${tenantId}/${model}@${version}`;

/**
 * The onnxruntime sessions one worker holds, keyed by tenant, model and version. It follows the
 * lifecycle: the production version of each model is loaded and warmed before it reports ready,
 * and a version no longer in production is released once its successor is ready.
 */
export class ModelHost {
  private readonly logger = new Logger(ModelHost.name);
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly cache: ArtifactCache,
    private readonly provider: ExecutionProviderReport,
    private readonly intraOpThreads: number,
  ) {}

  get(tenantId: string, model: string, version: number): HostedModel | undefined {
    return this.slots.get(modelKey(tenantId, model, version))?.hosted;
  }

  /** Runs a loaded version; a version being unloaded finishes the runs it has already started. */
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
    slot.running++;
    try {
      return await (fetches && fetches.length > 0 ? slot.hosted.session.run(feeds, fetches) : slot.hosted.session.run(feeds));
    } finally {
      if (--slot.running === 0) slot.drained?.();
    }
  }

  states(): LoadedModel[] {
    return [...this.slots.values()].map((s) => s.state);
  }

  /**
   * Makes exactly these versions the ones served for the model (none for null): a deployment
   * may split traffic over several, or keep a shadow loaded beside them.
   */
  async serve(tenantId: string, model: string, serving: ServingVersion | readonly ServingVersion[] | null): Promise<void> {
    const wanted = serving === null ? [] : 'version' in serving ? [serving] : serving;
    for (const version of wanted) await this.load(tenantId, model, version);
    const keep = new Set(wanted.map((v) => modelKey(tenantId, model, v.version)));
    for (const [key, slot] of this.slots) {
      if (slot.state.tenantId === tenantId && slot.state.model === model && !keep.has(key)) await this.unload(key, slot);
    }
  }

  async close(): Promise<void> {
    for (const [key, slot] of this.slots) await this.unload(key, slot);
  }

  private async load(tenantId: string, model: string, serving: ServingVersion, attempt = 0): Promise<void> {
    const key = modelKey(tenantId, model, serving.version);
    const existing = this.slots.get(key);
    if (existing && existing.state.state !== 'failed') return;
    const slot: Slot = { state: { tenantId, model, version: serving.version, state: 'loading' }, running: 0 };
    this.slots.set(key, slot);
    await this.loadInto(slot, key, serving, attempt);
  }

  private async loadInto(slot: Slot, key: string, serving: ServingVersion, attempt: number): Promise<void> {
    const { tenantId, model } = slot.state;
    const started = performance.now();
    try {
      const path = await this.cache.fetch(serving.artifact);
      const session = await InferenceSession.create(path, {
        executionProviders: this.provider.executionProviders,
        graphOptimizationLevel: 'all',
        ...(this.intraOpThreads > 0 ? { intraOpNumThreads: this.intraOpThreads } : {}),
      });
      await this.warmUp(key, session, serving.signature);
      slot.hosted = { tenantId, model, version: serving.version, signature: serving.signature, session };
      slot.state = { ...slot.state, state: 'ready' };
      this.logger.log(
        { key, provider: this.provider.name, loadMs: Math.round(performance.now() - started) },
        'model version loaded and warmed',
      );
    } catch (error) {
      slot.state = { ...slot.state, state: 'failed', reason: (error as Error).message };
      this.logger.error({ key, attempt, error: (error as Error).message }, 'model version failed to load');
      if (error instanceof ArtifactFetchError && error.transient) this.retryLater(slot, key, serving, attempt + 1);
    }
  }

  /** Registry away (a restart, a boot race): try again with backoff while the version is still wanted. */
  private retryLater(slot: Slot, key: string, serving: ServingVersion, attempt: number): void {
    const delayMs = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
    const timer = setTimeout(() => {
      if (this.slots.get(key) !== slot) return; // unloaded or replaced meanwhile
      slot.state = { ...slot.state, state: 'loading', reason: undefined };
      void this.loadInto(slot, key, serving, attempt);
    }, delayMs);
    timer.unref();
  }

  /**
   * One run on zero-filled inputs so the first caller does not pay for arena allocation. Some
   * valid models refuse zeros (a Reshape whose target shape is an input, an index that must be
   * in range…): that says nothing about real requests, so the version is served anyway.
   */
  private async warmUp(key: string, session: InferenceSession, signature: ModelSignature): Promise<void> {
    try {
      await session.run(warmupFeeds(signature));
    } catch (error) {
      this.logger.warn({ key, error: (error as Error).message }, 'warm-up run failed on zero inputs; serving without warm-up');
    }
  }

  private async unload(key: string, slot: Slot): Promise<void> {
    this.slots.delete(key);
    if (slot.running > 0) await new Promise<void>((resolve) => (slot.drained = resolve));
    await slot.hosted?.session.release().catch(() => undefined);
    this.logger.log({ key }, 'model version unloaded');
  }
}
