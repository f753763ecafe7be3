import { Logger } from '@nestjs/common';
import type { WorkerMetrics } from '@falaj/observability';
import { directRunsDone, releaseInstances, type ModelSlot, type ModelTable } from './model-table';

/**
 * The memory budget of a worker's sessions (Triton's and KServe's model cache, MLServer's LRU):
 * before a version loads, the least recently used idle versions are evicted until it fits. An
 * evicted version stays in the table as `unloaded` (still known, still served) and is loaded
 * again by the first request that needs it. The choice is pure (evictionCandidates, fitsBudget);
 * the class only does the evicting.
 */

/** The loaded versions that may make room for `key`, least recently used first. */
export function evictionCandidates<S extends { hosted?: unknown; lastUsed: number }>(slots: Iterable<[string, S]>, key: string): [string, S][] {
  return [...slots].filter(([k, s]) => k !== key && s.hosted).sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
}

/** Whether `costBytes` more fits beside `usedBytes`; a budget of 0 or less is no limit. */
export const fitsBudget = (usedBytes: number, costBytes: number, budgetBytes: number): boolean => budgetBytes <= 0 || usedBytes + costBytes <= budgetBytes;

export class MemoryBudget {
  private readonly logger = new Logger(MemoryBudget.name);

  constructor(
    private readonly table: ModelTable,
    /** Sessions' estimated memory may not exceed this; 0 = no limit. */
    readonly budgetBytes: number,
    private readonly metrics?: WorkerMetrics,
  ) {}

  /** Evicts least recently used idle versions until `costBytes` more fits the budget. */
  async makeRoom(key: string, costBytes: number): Promise<void> {
    if (this.budgetBytes <= 0) return;
    // The table's use is read again after each eviction: loads finishing meanwhile count too.
    for (const [victimKey, victim] of evictionCandidates(this.table.entries(), key)) {
      if (fitsBudget(this.table.memoryBytes, costBytes, this.budgetBytes)) return;
      await this.evict(victimKey, victim);
    }
    if (!fitsBudget(this.table.memoryBytes, costBytes, this.budgetBytes)) {
      // A model larger than the whole budget still serves: refusing production would be worse.
      this.logger.warn({ key, costBytes, budgetBytes: this.budgetBytes, usedBytes: this.table.memoryBytes }, 'model memory budget exceeded');
    }
  }

  private async evict(key: string, slot: ModelSlot): Promise<void> {
    const hosted = slot.hosted;
    const batcher = slot.batcher;
    slot.hosted = undefined;
    slot.batcher = undefined;
    slot.state = { ...slot.state, state: 'unloaded' };
    await batcher?.drained();
    await directRunsDone(slot);
    await releaseInstances(hosted?.instances ?? []);
    this.metrics?.evicted(slot.state.tenantId, slot.state.model, slot.state.version);
    this.logger.log({ key, freedBytes: slot.costBytes }, 'model version evicted (least recently used); loads again on demand');
  }
}
