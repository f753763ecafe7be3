import type { ExecutionSettings } from '../execution-settings';

/** One queued request, as the scheduler sees it. */
export interface BatchMember<T, R> {
  item: T;
  /** Requests with the same key may share a run; null runs alone. */
  key: string | null;
  /** Rows the request adds to a batch (its first dimension). */
  size: number;
  enqueuedAt: number;
  resolve(result: R): void;
  reject(error: Error): void;
}

/** Runs one batch on one instance and settles every member (the batcher only schedules). */
export type BatchRunner<T, R> = (instance: number, members: BatchMember<T, R>[]) => Promise<void>;

/**
 * Triton's dynamic batcher for one model version. Requests queue in arrival order; whenever one
 * of the version's instances is free it takes the oldest request and the compatible ones behind
 * it, up to `maxBatchSize` rows. A batch of a preferred size goes at once; otherwise it waits
 * until the oldest member has queued `maxQueueDelayMicros` (0: never waits, so a lone request
 * runs at once and requests batch only while every instance is busy). With batching off, or for
 * a model without a batch dimension, each request is its own batch.
 */
export class DynamicBatcher<T, R> {
  private queue: BatchMember<T, R>[] = [];
  private readonly free: number[];
  private timer?: NodeJS.Timeout;
  private pending?: NodeJS.Immediate;
  private idle?: () => void;

  constructor(
    private readonly settings: ExecutionSettings['batching'],
    private readonly instances: number,
    private readonly batchable: boolean,
    private readonly runner: BatchRunner<T, R>,
  ) {
    this.free = Array.from({ length: instances }, (_, i) => instances - 1 - i);
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  /** Instances running a batch now. */
  get running(): number {
    return this.instances - this.free.length;
  }

  submit(item: T, key: string | null, size: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, key, size, enqueuedAt: performance.now(), resolve, reject });
      // Scheduled at the end of this turn of the event loop, not now: every request that arrived
      // in the same turn (one XREADGROUP reply holds many) joins the batch. onnxruntime-node
      // starts a run in setImmediate anyway, so this costs no latency.
      this.pending ??= setImmediate(() => {
        this.pending = undefined;
        this.schedule();
      });
    });
  }

  /** Resolves once nothing is queued or running: a version is released only then. */
  drained(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const previous = this.idle;
      this.idle = () => {
        previous?.();
        resolve();
      };
    });
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.free.length > 0 && this.queue.length > 0) {
      const batch = this.next();
      if (!batch) break;
      const instance = this.free.pop() as number;
      void this.runner(instance, batch)
        .catch((error: Error) => batch.forEach((m) => m.reject(error)))
        .finally(() => {
          this.free.push(instance);
          this.schedule();
        });
    }
    if (this.queue.length === 0 && this.running === 0 && this.idle) {
      const idle = this.idle;
      this.idle = undefined;
      idle();
    }
  }

  /** The next batch to run now, or undefined (and a timer set) when the head should wait. */
  private next(): BatchMember<T, R>[] | undefined {
    const head = this.queue[0];
    if (!this.settings.enabled || !this.batchable || head.key === null) {
      this.queue.shift();
      return [head];
    }
    const { maxBatchSize, maxQueueDelayMicros, preferredBatchSizes } = this.settings;
    const picked: number[] = [];
    let rows = 0;
    let preferredCut = 0;
    let preferredRows = 0;
    for (let i = 0; i < this.queue.length; i++) {
      const member = this.queue[i];
      if (member.key !== head.key) continue;
      // The head always goes, even alone past the maximum: the gateway accepted it.
      if (picked.length > 0 && rows + member.size > maxBatchSize) break;
      picked.push(i);
      rows += member.size;
      if (preferredBatchSizes.includes(rows)) {
        preferredCut = picked.length;
        preferredRows = rows;
      }
      if (rows >= maxBatchSize) break;
    }
    const largestPreferred = preferredBatchSizes[preferredBatchSizes.length - 1];
    let take = picked.length;
    if (rows < maxBatchSize) {
      if (preferredCut > 0 && (preferredRows === largestPreferred || maxQueueDelayMicros === 0 || this.waited(head) >= maxQueueDelayMicros)) {
        take = preferredCut;
      } else if (maxQueueDelayMicros > 0 && this.waited(head) < maxQueueDelayMicros) {
        const waitMs = (maxQueueDelayMicros - this.waited(head)) / 1000;
        this.timer = setTimeout(() => this.schedule(), Math.max(0, waitMs));
        return undefined;
      }
    }
    const chosen = new Set(picked.slice(0, take));
    const batch = picked.slice(0, take).map((i) => this.queue[i]);
    this.queue = this.queue.filter((_, i) => !chosen.has(i));
    return batch;
  }

  private waited(member: BatchMember<T, R>): number {
    return (performance.now() - member.enqueuedAt) * 1000;
  }
}
