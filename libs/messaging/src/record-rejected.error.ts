/**
 * Thrown by a consumer's handler when a record itself is at fault (Postgres refused its data,
 * SQLSTATE class 22 or 23, say), as against the handler's dependency being away: the consumer
 * then splits the batch to find the record and quarantines it, rather than retrying forever.
 * Any other error is taken as transient and retried with backoff. The handler classifies; the
 * generic consumer does not guess from messages.
 */
export class RecordRejectedError extends Error {
  override readonly name = 'RecordRejectedError';

  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}
