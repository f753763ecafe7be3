import { ConsumerNotReadyError, consumerReadiness } from './consumer-readiness';
import type { ConsumerState } from './event-consumer';

const state: ConsumerState = {
  topic: 'falaj.audit.v1',
  groupId: 'falaj-registry-audit-writer',
  running: true,
  lastBatchAt: '2026-01-01T00:00:00.000Z',
  batchSince: null,
  retryingSince: null,
  retries: 0,
  lastError: null,
  quarantined: 2,
  skipped: 0,
};
const now = Date.parse('2026-01-01T00:10:00.000Z');

describe('consumerReadiness', () => {
  it('is ready between batches and shows the state', () => {
    expect(consumerReadiness(state, 60_000, now)).toMatchObject({ running: true, quarantined: 2, stuckAfterMs: 60_000 });
  });

  it('is ready while a batch has been retried for less than the bound', () => {
    const retrying = { ...state, batchSince: '2026-01-01T00:09:30.000Z', retryingSince: '2026-01-01T00:09:31.000Z', retries: 4, lastError: 'ECONNREFUSED' };
    expect(consumerReadiness(retrying, 60_000, now)).toMatchObject({ retries: 4 });
  });

  it('is not ready once one batch has been retried past the bound, and says why with the details', () => {
    const stuck = { ...state, batchSince: '2026-01-01T00:08:00.000Z', retryingSince: '2026-01-01T00:08:00.000Z', retries: 20, lastError: 'connect ECONNREFUSED' };
    let thrown: unknown;
    try {
      consumerReadiness(stuck, 60_000, now);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConsumerNotReadyError);
    expect((thrown as Error).message).toBe('consumer of falaj.audit.v1 stuck on one batch for 120 s, retrying since 2026-01-01T00:08:00.000Z (20 attempts): connect ECONNREFUSED');
    expect((thrown as ConsumerNotReadyError).details).toMatchObject({ retries: 20, retryingSince: stuck.retryingSince });
  });

  it('is not ready when the handler has hung on a batch past the bound', () => {
    expect(() => consumerReadiness({ ...state, batchSince: '2026-01-01T00:08:00.000Z' }, 60_000, now)).toThrow(/the handler has not returned/);
  });

  it('is not ready when the consumer is not running', () => {
    expect(() => consumerReadiness({ ...state, running: false, lastError: 'The group is rebalancing' }, 60_000, now)).toThrow(
      'consumer of falaj.audit.v1 is not running (last error: The group is rebalancing)',
    );
  });
});
