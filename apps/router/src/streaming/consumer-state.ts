/** Where the bridge's consumer is: consuming, or down and coming back. */
export type ConsumerStatus = 'starting' | 'running' | 'restarting' | 'stopped';

export interface ConsumerReport {
  status: ConsumerStatus;
  /** ISO time the status began (for `restarting`: since when it is down). */
  since: string;
  /** ISO time of the last batch committed, or null before any. */
  lastBatchAt: string | null;
  /** Crashes since the last committed batch or successful start. */
  consecutiveFailures: number;
  lastError: string | null;
}

/** First restart after a crash, doubling per consecutive crash up to RESTART_MAX_MS. */
export const RESTART_BASE_MS = 1000;
export const RESTART_MAX_MS = 30_000;

/** The wait before the restart that follows the `failures`-th consecutive crash (1-based). */
export function restartBackoffMs(failures: number): number {
  return Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** Math.max(0, Math.min(failures - 1, 16)));
}

/**
 * The streaming consumer's state as the router's readiness reports it: ready only while it
 * consumes. A crash makes it `restarting` until the group is joined again; a committed batch or
 * a successful start clears the failure count.
 */
export class ConsumerState {
  private status: ConsumerStatus = 'starting';
  private since: number;
  private lastBatchAt: number | null = null;
  private failures = 0;
  private lastError: string | null = null;

  constructor(private readonly now: () => number = Date.now) {
    this.since = now();
  }

  /** The consumer joined its group: it consumes again. */
  joined(): void {
    if (this.status === 'stopped') return;
    this.set('running');
  }

  batchCommitted(): void {
    this.lastBatchAt = this.now();
    this.failures = 0;
  }

  /** It crashed; returns the wait before the restart to attempt. */
  crashed(error: Error): number {
    this.failures++;
    this.lastError = error.message.slice(0, 300);
    if (this.status !== 'restarting') this.set('restarting');
    return restartBackoffMs(this.failures);
  }

  stopped(): void {
    this.set('stopped');
  }

  get running(): boolean {
    return this.status === 'running';
  }

  report(): ConsumerReport {
    return {
      status: this.status,
      since: new Date(this.since).toISOString(),
      lastBatchAt: this.lastBatchAt === null ? null : new Date(this.lastBatchAt).toISOString(),
      consecutiveFailures: this.failures,
      lastError: this.lastError,
    };
  }

  /** For readiness (HealthIndicators.check): the report while running, else an error saying why and since when. */
  readiness(): ConsumerReport & Record<string, unknown> {
    const report = this.report();
    if (report.status !== 'running') {
      const why = report.lastError ? ` after ${report.consecutiveFailures} consecutive failure(s), last: ${report.lastError}` : '';
      throw new Error(`streaming consumer ${report.status} since ${report.since}${why}`);
    }
    return { ...report };
  }

  private set(status: ConsumerStatus): void {
    this.status = status;
    this.since = this.now();
  }
}
