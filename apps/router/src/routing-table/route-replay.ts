import type { ModelLifecycleEvent } from '@falaj/contracts';
import { routeField } from '@falaj/routing';

/** A model's latest lifecycle state to make its route from, by routing-table field. */
export interface RouteChange {
  field: string;
  partition: number;
  event: ModelLifecycleEvent;
}

interface PartitionState {
  /** Reading the partition's history from its start after an assignment: nothing is applied yet. */
  catchingUp: boolean;
  /** The latest event per model seen while catching up. */
  pending: Map<string, RouteChange>;
}

/**
 * Decides when lifecycle events reach the live routing table. The router reads the compacted
 * topic from its start on every assignment (each rebalance), and the history holds states a
 * model left long ago (created, not yet promoted: no route). Applied in order, each replay would
 * remove a live route and put it back a moment later. So, per partition, a replay is only
 * compacted — the latest event per model — until the partition is read to its end, and that
 * end state is applied at once; after it, events apply as they come (each is the model's whole
 * state then), the batch's latest per model.
 */
export class RouteReplay {
  private readonly partitions = new Map<number, PartitionState>();

  /** A (re)assignment: every assigned partition is read again from its start. */
  assigned(partitions: readonly number[]): void {
    this.partitions.clear();
    for (const p of partitions) this.partitions.set(p, { catchingUp: true, pending: new Map() });
  }

  /** Takes a handled run of events; returns what to apply now (nothing while the partition catches up). */
  take(events: readonly { partition: number; value: ModelLifecycleEvent }[]): RouteChange[] {
    const now = new Map<string, RouteChange>();
    for (const { partition, value } of events) {
      const change = { field: routeField(value.tenantId, value.model), partition, event: value };
      const state = this.state(partition);
      if (state.catchingUp) state.pending.set(change.field, change);
      else now.set(change.field, change);
    }
    return [...now.values()];
  }

  /** The partition is read to its end: its compacted state, to apply at once; from now on it is live. */
  caughtUp(partition: number): RouteChange[] {
    const state = this.state(partition);
    if (!state.catchingUp) return [];
    return [...state.pending.values()];
  }

  /** The caught-up state was applied: the partition goes live. Separate, so a failed write is retried whole. */
  applied(partition: number): void {
    const state = this.state(partition);
    state.catchingUp = false;
    state.pending.clear();
  }

  /** Whether a partition is assigned here (a field of another's partition is not this router's to keep). */
  owns(partition: number): boolean {
    return this.partitions.has(partition);
  }

  private state(partition: number): PartitionState {
    let state = this.partitions.get(partition);
    if (!state) {
      // Events of a partition before its assignment was seen: treat it as a fresh replay.
      state = { catchingUp: true, pending: new Map() };
      this.partitions.set(partition, state);
    }
    return state;
  }
}
