import { RecordRejectedError } from './record-rejected.error';

/** What a consumed item is to the settler: a record to handle, nothing to do (a tombstone), or already refused. */
export type ItemClass = 'record' | 'skip' | RecordRejectedError;

export interface SettleSteps<T> {
  classify(item: T): ItemClass;
  /**
   * Handles consecutive records, all or nothing (or idempotently: a record of a batch that failed
   * is handled again in a smaller one). Throws RecordRejectedError when a record is at fault.
   */
  handle(items: T[]): Promise<void>;
  /** Sets one record aside with why. Throwing is transient, as the handler's other errors. */
  quarantine(item: T, error: RecordRejectedError): Promise<void>;
  /** `item` and every item before it are done: its offset may be committed. */
  settled(item: T): void;
  /** Between two handler calls (a heartbeat); may throw to abort. */
  between?(): Promise<void>;
}

export interface SettleReport {
  handlerCalls: number;
  quarantined: number;
}

/**
 * Settles a partition's items in order, so that an offset is only ever marked done after every
 * item before it. Consecutive records go to the handler together; when it rejects them, the run
 * is split in halves (bisected) until the record at fault is alone, and that one is quarantined
 * while the others are handled: k bad records in n cost O(k log n) handler calls, and none
 * blocks the partition. A transient error propagates, after `settled` has been called for the
 * prefix that is done, so the caller retries only the rest.
 */
export async function settleInOrder<T>(items: readonly T[], steps: SettleSteps<T>): Promise<SettleReport> {
  const report: SettleReport = { handlerCalls: 0, quarantined: 0 };

  const setAside = async (item: T, error: RecordRejectedError) => {
    await steps.quarantine(item, error);
    report.quarantined++;
    steps.settled(item);
  };

  const bisect = async (run: readonly T[]): Promise<void> => {
    report.handlerCalls++;
    try {
      await steps.handle([...run]);
    } catch (error) {
      if (!(error instanceof RecordRejectedError)) throw error;
      if (run.length === 1) return setAside(run[0], error);
      await steps.between?.();
      const middle = Math.ceil(run.length / 2);
      await bisect(run.slice(0, middle));
      await steps.between?.();
      await bisect(run.slice(middle));
      return;
    }
    steps.settled(run[run.length - 1]);
  };

  let run: T[] = [];
  const flush = async () => {
    if (run.length === 0) return;
    const records = run;
    run = [];
    await bisect(records);
  };
  for (const item of items) {
    const kind = steps.classify(item);
    if (kind === 'record') {
      run.push(item);
      continue;
    }
    await flush();
    if (kind === 'skip') steps.settled(item);
    else await setAside(item, kind);
  }
  await flush();
  return report;
}

/** Exponential backoff, half of it random (so consumers retrying together spread out): attempt 1 waits about `initialMs`, doubling up to `maxMs`. */
export function backoffMs(attempt: number, options: { initialMs: number; maxMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
