/**
 * Broker errors that are about the messages produced, not about the producer or the broker: the
 * same messages fail again on every retry, so retrying the batch as it is would stop the
 * partition for good. Anything else (a fenced producer, a lost connection, a coordinator moving)
 * is the producer's or the broker's and is left to the consumer's restart.
 */
const MESSAGE_FAULTS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TOPIC_EXCEPTION',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'TOPIC_AUTHORIZATION_FAILED',
  'POLICY_VIOLATION',
]);

/** The broker's error code anywhere in the error's cause chain (kafkajs wraps retried errors). */
export function kafkaErrorType(error: unknown): string | undefined {
  for (let e = error as { type?: unknown; cause?: unknown; originalError?: unknown } | undefined, depth = 0; e && depth < 8; depth++) {
    if (typeof e.type === 'string') return e.type;
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return undefined;
}

export function isMessageFault(error: unknown): boolean {
  const type = kafkaErrorType(error);
  return type !== undefined && MESSAGE_FAULTS.has(type);
}

export interface IsolatingCommit<T> {
  /** Produces the outcomes [from, to) and commits the offset after `to - 1`, in one transaction. */
  commit(from: number, to: number, outcomes: readonly T[]): Promise<void>;
  /** What the outcome at `index`, whose messages the broker refuses, becomes instead (a dead letter), or null when it is one already. */
  isolate(outcome: T, index: number, error: Error): T | null;
  isFault(error: unknown): boolean;
}

/**
 * Commits a batch's outcomes in one transaction; when the broker refuses it for its messages,
 * commits the two halves one after the other, recursively, down to the one outcome at fault,
 * which is tried once more alone, then replaced by `isolate` and committed alone. Every piece is a transaction with its
 * offsets, committed in offset order, so the good answers are delivered exactly once and a
 * crash in between replays only what was not committed. Returns the outcomes as committed.
 * An error that is not the messages' fault is thrown as it is, after the pieces that did commit.
 */
export async function commitIsolating<T>(outcomes: readonly T[], steps: IsolatingCommit<T>): Promise<T[]> {
  const committed = [...outcomes];
  const run = async (from: number, to: number): Promise<void> => {
    try {
      await steps.commit(from, to, committed.slice(from, to));
    } catch (error) {
      if (!steps.isFault(error)) throw error;
      if (to - from > 1) {
        const middle = from + Math.ceil((to - from) / 2);
        await run(from, middle);
        await run(middle, to);
        return;
      }
      // Once more alone before blaming it: a fault that passes (metadata catching up) is not the message's.
      let fault: Error;
      try {
        await steps.commit(from, to, [committed[from]]);
        return;
      } catch (again) {
        if (!steps.isFault(again)) throw again;
        fault = again as Error;
      }
      const replaced = steps.isolate(committed[from], from, fault);
      if (replaced === null) throw fault;
      committed[from] = replaced;
      await steps.commit(from, to, [replaced]);
    }
  };
  if (committed.length > 0) await run(0, committed.length);
  return committed;
}
