import type { ConsumerState } from './event-consumer';

/** A readiness failure that keeps what it saw: the health report shows it beside the error. */
export class ConsumerNotReadyError extends Error {
  override readonly name = 'ConsumerNotReadyError';

  constructor(
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}

/**
 * Whether a consumer is fit to be called ready, from its state (pure): it must be running, and
 * the batch in hand must not have been unsettled (retried, or hanging in the handler) for longer
 * than `stuckAfterMs`. Returns the details for the health report, or throws with them.
 */
export function consumerReadiness(state: ConsumerState, stuckAfterMs: number, now: number = Date.now()): Record<string, unknown> {
  const details: Record<string, unknown> = { ...state, stuckAfterMs };
  if (!state.running) throw new ConsumerNotReadyError(`consumer of ${state.topic} is not running${state.lastError ? ` (last error: ${state.lastError})` : ''}`, details);
  if (state.batchSince !== null) {
    const heldMs = now - Date.parse(state.batchSince);
    if (heldMs > stuckAfterMs) {
      const why = state.retryingSince ? `retrying since ${state.retryingSince} (${state.retries} attempts): ${state.lastError}` : 'the handler has not returned';
      throw new ConsumerNotReadyError(`consumer of ${state.topic} stuck on one batch for ${Math.round(heldMs / 1000)} s, ${why}`, details);
    }
  }
  return details;
}
