/** A partition's offsets when reading began: `low` the first kept, `high` the next to be written. */
export interface PartitionEnd {
  partition: number;
  low: string;
  high: string;
}

/**
 * Whether a consumer has read its partitions up to where they ended when it started: what a
 * consumer that rebuilds state from a compacted topic waits for before it acts on that state
 * (a worker joins its pool only then). An empty partition counts as read at once.
 */
export class ReplayProgress {
  private readonly remaining = new Map<number, bigint>();
  private assignment?: Set<number>;
  private resolve?: () => void;
  readonly done: Promise<void>;

  constructor(ends: readonly PartitionEnd[]) {
    for (const { partition, low, high } of ends) if (BigInt(high) > BigInt(low)) this.remaining.set(partition, BigInt(high));
    this.done = new Promise((resolve) => (this.resolve = resolve));
  }

  /** The partitions the group gave this consumer: only those are waited for. */
  assigned(partitions: readonly number[]): void {
    this.assignment = new Set(partitions);
    this.check();
  }

  /** Everything of `partition` before `nextOffset` is settled. */
  reached(partition: number, nextOffset: bigint): void {
    const end = this.remaining.get(partition);
    if (end !== undefined && nextOffset >= end) this.remaining.delete(partition);
    this.check();
  }

  get complete(): boolean {
    return this.assignment !== undefined && [...this.remaining.keys()].every((p) => !this.assignment!.has(p));
  }

  /** Partitions still being read, for readiness. */
  pending(): number[] {
    return [...this.remaining.keys()].filter((p) => this.assignment?.has(p) ?? true);
  }

  private check(): void {
    if (this.complete) this.resolve?.();
  }
}
