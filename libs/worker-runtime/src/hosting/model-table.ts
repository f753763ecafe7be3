import type { LoadedModel, ModelSignature, ServingVersion } from '@falaj/contracts';
import type { VersionSeries } from '@falaj/observability';
import type { VersionBatcher } from '../batching/batch-execution';
import type { ExecutionSettings } from '../execution-settings';
import type { ExecutionStats } from '../execution-stats';
import type { InstanceRunner } from '../session-thread';

/**
 * The model table (Triton's model repository state): every version this worker knows, by tenant,
 * model and version, with its load state and, while loaded, its sessions and batcher. The other
 * parts of the host (loader, memory budget, executor) read and change slots here; this is what
 * the heartbeat and /health/status report.
 */

export interface HostedModel {
  tenantId: string;
  model: string;
  version: number;
  signature: ModelSignature;
  /** Every instance: the first on the JavaScript thread when its runs are short, the others (all, when long) each on a worker thread. */
  instances: InstanceRunner[];
  /** Whether instances[0] runs on the JavaScript thread (instance-placement.policy.ts). */
  firstInstanceInline: boolean;
  settings: ExecutionSettings;
}

/** One version's row in the table. */
export interface ModelSlot {
  state: LoadedModel;
  serving: ServingVersion;
  hosted?: HostedModel;
  batcher?: VersionBatcher;
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

export const modelKey = (tenantId: string, model: string, version: number): string => `${tenantId}/${model}@${version}`;

export class ModelTable {
  private readonly slots = new Map<string, ModelSlot>();

  constructor(
    /** The execution provider every session runs on, reported per version. */
    private readonly providerName: string,
  ) {}

  get(key: string): ModelSlot | undefined {
    return this.slots.get(key);
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  set(key: string, slot: ModelSlot): void {
    this.slots.set(key, slot);
  }

  delete(key: string): void {
    this.slots.delete(key);
  }

  entries(): IterableIterator<[string, ModelSlot]> {
    return this.slots.entries();
  }

  /** A new row for a version the plan asks for: loading until the loader says otherwise. */
  static slot(tenantId: string, model: string, serving: ServingVersion, series: VersionSeries | undefined): ModelSlot {
    return {
      state: { tenantId, model, version: serving.version, state: 'loading' },
      serving,
      costBytes: 0,
      lastUsed: performance.now(),
      running: 0,
      loads: 0,
      rr: 0,
      series,
    };
  }

  /** Estimated bytes of every loaded session. */
  get memoryBytes(): number {
    let total = 0;
    for (const slot of this.slots.values()) if (slot.hosted) total += slot.costBytes;
    return total;
  }

  /** Requests queued in every version's batcher, waiting for an instance. */
  get queueDepth(): number {
    let depth = 0;
    for (const slot of this.slots.values()) depth += slot.batcher?.queueDepth ?? 0;
    return depth;
  }

  states(): LoadedModel[] {
    return [...this.slots.values()].map((slot) => this.describe(slot));
  }

  private describe(slot: ModelSlot): LoadedModel {
    const state: LoadedModel = { ...slot.state, provider: this.providerName, loads: slot.loads };
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
}

/** Resolves once the slot's direct runs (ModelExecutor.run) have finished. */
export function directRunsDone(slot: ModelSlot): Promise<void> {
  if (slot.running === 0) return Promise.resolve();
  return new Promise<void>((resolve) => (slot.runsDone = resolve));
}

/** Releases sessions, each on its own: one that fails to release does not keep the others. */
export async function releaseInstances(instances: readonly InstanceRunner[]): Promise<void> {
  await Promise.all(instances.map((s) => s.release().catch(() => undefined)));
}
