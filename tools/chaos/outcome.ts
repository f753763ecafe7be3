import type { CallSettlement, MixPart } from '../soak/load-mix';

/**
 * What one accepted-or-not call of the chaos run came to, from its client's side:
 * - ok: answered, with outputs;
 * - retryable: a clear "try again" (REST 503/429 with Retry-After; gRPC UNAVAILABLE or
 *   RESOURCE_EXHAUSTED; a streamed reply of status 503) — the client retries with its Idempotency-Key;
 * - refused: never accepted (connection refused, or the broker did not take the request);
 * - notFound: a 404 / NOT_FOUND for the deployed model — tells a client to give up, so must be 0;
 * - failed: any other answer (a 500, a 400, a 200 without outputs);
 * - lost: accepted and never answered (a socket dropped after the gateway took the call, a
 *   streamed request with no reply) — must be 0;
 * - hung: a synchronous call with no answer by the deadline — must be 0.
 */
export type Outcome = 'ok' | 'retryable' | 'refused' | 'notFound' | 'failed' | 'lost' | 'hung';

const GRPC = { OK: 0, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8, UNAVAILABLE: 14 } as const;
/** Socket codes that mean the request never reached a listener, so nothing was accepted. */
const NOT_CONNECTED = new Set(['ECONNREFUSED']);

export function classify(how: CallSettlement): Outcome {
  switch (how.kind) {
    case 'http':
      if (how.status === 200) return hasOutputs(how.body) ? 'ok' : 'failed';
      if (how.status === 404) return 'notFound';
      if ((how.status === 503 || how.status === 429) && how.retryAfter !== undefined) return 'retryable';
      return 'failed';
    case 'grpc':
      if (how.code === GRPC.OK) return 'ok';
      if (how.code === GRPC.NOT_FOUND) return 'notFound';
      if (how.code === GRPC.UNAVAILABLE || how.code === GRPC.RESOURCE_EXHAUSTED) return 'retryable';
      // The client's own deadline passed with no answer from the gateway.
      if (how.code === GRPC.DEADLINE_EXCEEDED) return 'hung';
      return 'failed';
    case 'kafka':
      if (how.status === '200') return 'ok';
      if (how.status === '404') return 'notFound';
      if (how.status === '503' || how.status === '429') return 'retryable';
      return 'failed';
    case 'transport':
      return NOT_CONNECTED.has(how.code) ? 'refused' : 'lost';
  }
}

function hasOutputs(body: unknown): boolean {
  const outputs = (body as { outputs?: unknown } | undefined)?.outputs;
  return Array.isArray(outputs) && outputs.length > 0;
}

/** One call as the run recorded it (times in ms since the run began). */
export interface CallRecord {
  part: MixPart;
  id: string;
  sentAt: number;
  settledAt?: number;
  how?: CallSettlement;
}

export type Tally = Record<Outcome, number> & { sent: number; accepted: number };

export const emptyTally = (): Tally => ({ sent: 0, accepted: 0, ok: 0, retryable: 0, refused: 0, notFound: 0, failed: 0, lost: 0, hung: 0 });

/**
 * The final outcome of a call once the run is over: its answer's class; a synchronous answer that
 * came after `hangMs` is hung all the same (the client would have given up); a call with no
 * answer at all is hung (synchronous) or lost (streamed: the broker had taken it).
 */
export function finalOutcome(record: CallRecord, hangMs: number): Outcome {
  const streamed = record.part === 'kafka';
  if (!record.how || record.settledAt === undefined) return streamed ? 'lost' : 'hung';
  const outcome = classify(record.how);
  if (!streamed && record.settledAt - record.sentAt > hangMs && outcome !== 'refused') return 'hung';
  return outcome;
}

export function tally(records: Iterable<CallRecord>, hangMs: number): Tally {
  const t = emptyTally();
  for (const record of records) {
    const outcome = finalOutcome(record, hangMs);
    t.sent++;
    t[outcome]++;
    if (outcome !== 'refused') t.accepted++;
  }
  return t;
}
