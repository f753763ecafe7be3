import { stat } from 'node:fs/promises';
import { Logger } from '@nestjs/common';
import { InferenceSession } from 'onnxruntime-node';
import type { ModelSignature } from '@falaj/contracts';
import type { WorkerMetrics } from '@falaj/observability';
import { ArtifactFetchError, type ArtifactCache } from '../artifact-cache';
import type { ArtifactSignatures } from '../artifact-signatures';
import { versionBatcher } from '../batching/batch-execution';
import type { ExecutionProviderReport } from '../execution-provider';
import { resolveExecutionSettings, type ExecutionOverrides } from '../execution-settings';
import { ExecutionStats } from '../execution-stats';
import { inProcessRunner, ThreadRunner, type InstanceRunner } from '../session-thread';
import { warmupBytes, warmupFeeds } from '../warmup-feeds';
import { DEFAULT_INLINE_RUN_MAX_MICROS, firstInstanceInline } from './instance-placement.policy';
import type { MemoryBudget } from './memory-budget';
import { releaseInstances, type HostedModel, type ModelSlot, type ModelTable } from './model-table';

/**
 * The loader (Triton's model lifecycle, KServe's model puller): turns a slot the plan asked for
 * into a served version — the artifact downloaded and verified (ArtifactCache), room made in the
 * memory budget, one onnxruntime session per instance created and warmed, the batcher set up —
 * or into a failed one, tried again with backoff while the registry is away.
 */

export interface ModelLoaderOptions {
  /** Worker-wide switches that beat every version's spec (FALAJ_BATCHING etc.). */
  overrides?: ExecutionOverrides;
  /** Estimated cost of one session = artifact size × this factor. */
  memoryFactor?: number;
  /** Largest warm-up feed in bytes (undefined: no limit); see ModelHostOptions. */
  warmupMaxBytes?: number;
  /** A warm run longer than this puts every instance on a worker thread (instance-placement.policy.ts). */
  inlineRunMaxMicros?: number;
  metrics?: WorkerMetrics;
  /** Verifies a signed tenant's artifact before a session is made of it; undefined: no check (a test host). */
  signatures?: ArtifactSignatures;
}

export class ModelLoader {
  private readonly logger = new Logger(ModelLoader.name);
  private readonly factor: number;

  constructor(
    private readonly cache: ArtifactCache,
    private readonly provider: ExecutionProviderReport,
    private readonly intraOpThreads: number,
    private readonly table: ModelTable,
    private readonly budget: MemoryBudget,
    private readonly options: ModelLoaderOptions = {},
  ) {
    this.factor = options.memoryFactor ?? 2;
  }

  /** Loads a slot's version once (concurrent callers share the load), warming every instance. */
  load(key: string, slot: ModelSlot): Promise<void> {
    if (slot.hosted) return Promise.resolve();
    slot.loading ??= this.loadNow(key, slot).finally(() => (slot.loading = undefined));
    return slot.loading;
  }

  private async loadNow(key: string, slot: ModelSlot): Promise<void> {
    const { serving } = slot;
    const settings = resolveExecutionSettings(serving.serving, {
      ...(this.intraOpThreads > 0 ? { intraOpThreads: this.intraOpThreads } : {}),
      ...this.options.overrides,
    });
    slot.state = { ...slot.state, state: 'loading', reason: undefined };
    const started = performance.now();
    const instances: InstanceRunner[] = [];
    try {
      const path = await this.cache.fetch(serving.artifact, await this.options.signatures?.checkFor(slot.state));
      const costBytes = Math.round((await stat(path)).size * this.factor * settings.instanceCount);
      await this.budget.makeRoom(key, costBytes);
      const options: InferenceSession.SessionOptions = {
        executionProviders: this.provider.executionProviders,
        graphOptimizationLevel: settings.graphOptimizationLevel,
        enableCpuMemArena: settings.enableMemoryArena,
        ...(settings.intraOpThreads > 0 ? { intraOpNumThreads: settings.intraOpThreads } : {}),
      };
      // onnxruntime-node runs a session synchronously on its calling thread: the first instance
      // lives on this thread when its runs are short (no hand-off), on a worker thread when they
      // are long (the loop stays free); the others always on worker threads, side by side.
      const warm = this.warmupFits(key, serving.signature);
      instances.push(inProcessRunner(await InferenceSession.create(path, options)));
      const inlineRunMaxMicros = this.options.inlineRunMaxMicros ?? DEFAULT_INLINE_RUN_MAX_MICROS;
      const warmRunMicros = warm ? await this.warmUp(key, instances[0], serving.signature, inlineRunMaxMicros) : undefined;
      const inline = firstInstanceInline(warmRunMicros, inlineRunMaxMicros);
      if (!inline) {
        await instances[0].release();
        instances[0] = await ThreadRunner.create(path, options);
        if (warm) await this.warmUp(key, instances[0], serving.signature);
      }
      for (let i = 1; i < settings.instanceCount; i++) {
        instances.push(await ThreadRunner.create(path, options));
        if (warm) await this.warmUp(key, instances[i], serving.signature);
      }
      const hosted: HostedModel = { ...slot.state, signature: serving.signature, instances, firstInstanceInline: inline, settings };
      if (!this.table.has(key)) throw new Error('released while loading');
      slot.hosted = hosted;
      slot.costBytes = costBytes;
      slot.stats ??= new ExecutionStats();
      slot.batcher = versionBatcher(hosted, slot);
      slot.loads++;
      slot.attempt = 0;
      const loadMs = Math.round(performance.now() - started);
      this.options.metrics?.loaded(slot.state.tenantId, slot.state.model, slot.state.version, (performance.now() - started) / 1000, slot.loads > 1);
      slot.state = { ...slot.state, state: 'ready', loadMs };
      this.logger.log(
        {
          key,
          provider: this.provider.name,
          loadMs,
          instances: instances.length,
          firstInstance: inline ? 'inline' : 'thread',
          warmRunMicros,
          memoryBytes: costBytes,
          batching: settings.batching,
          load: slot.loads,
        },
        slot.loads > 1 ? 'model version reloaded on demand and warmed (cold start)' : 'model version loaded and warmed',
      );
    } catch (error) {
      await releaseInstances(instances);
      slot.state = { ...slot.state, state: 'failed', reason: (error as Error).message };
      this.options.metrics?.loadFailed(slot.state.tenantId, slot.state.model, slot.state.version);
      this.logger.error({ key, attempt: slot.attempt ?? 0, error: (error as Error).message }, 'model version failed to load');
      if (error instanceof ArtifactFetchError && error.transient) this.retryLater(key, slot);
    }
  }

  /** Registry away (a restart, a boot race): try again with backoff while the version is still wanted. */
  private retryLater(key: string, slot: ModelSlot): void {
    slot.attempt = (slot.attempt ?? 0) + 1;
    const delayMs = Math.min(30_000, 250 * 2 ** Math.min(slot.attempt, 7));
    const timer = setTimeout(() => {
      if (this.table.get(key) !== slot) return; // unloaded or replaced meanwhile
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

  /**
   * Runs the instance on zeros: once to allocate the arena, then timed. Returns a warm run's time
   * in µs, the shorter of two when the first is over `timeAgainstMicros` (a busy machine can
   * preempt one run), or undefined when the model refused the zeros.
   */
  private async warmUp(key: string, instance: InstanceRunner, signature: ModelSignature, timeAgainstMicros = Infinity): Promise<number | undefined> {
    try {
      const feeds = warmupFeeds(signature);
      await instance.run(feeds);
      const timed = async () => {
        const started = performance.now();
        await instance.run(feeds);
        return Math.round((performance.now() - started) * 1000);
      };
      const first = await timed();
      return first > timeAgainstMicros ? Math.min(first, await timed()) : first;
    } catch (error) {
      this.logger.warn({ key, error: (error as Error).message }, 'warm-up run failed on zero inputs; serving without warm-up');
      return undefined;
    }
  }
}
