import type { CallSettlement } from '../soak/load-mix';
import { faultTable, violations, type FaultRow } from './chaos-report';
import { groupByWindow } from './fault-window';
import { classify, emptyTally, finalOutcome, tally, type CallRecord } from './outcome';
import { duplicatedRuns, duplicatesByDispatcher, runsPerRequest } from './run-count';
import { FAULT_KINDS, parseFaultKinds } from './fault-schedule';

const http = (status: number, extra: Partial<Extract<CallSettlement, { kind: 'http' }>> = {}): CallSettlement => ({ kind: 'http', status, ...extra });
const answered = { outputs: [{ name: 'output', data: [1] }] };

describe('chaos outcome classification', () => {
  it('tells an answer from a clear retryable error, a 404 and other failures', () => {
    expect(classify(http(200, { body: answered }))).toBe('ok');
    expect(classify(http(200, { body: { outputs: [] } }))).toBe('failed');
    expect(classify(http(503, { retryAfter: '1' }))).toBe('retryable');
    expect(classify(http(503))).toBe('failed'); // no Retry-After: not a clear "try again"
    expect(classify(http(404))).toBe('notFound');
    expect(classify(http(500))).toBe('failed');
    expect(classify({ kind: 'grpc', code: 14, message: 'UNAVAILABLE' })).toBe('retryable');
    expect(classify({ kind: 'grpc', code: 5, message: 'NOT_FOUND' })).toBe('notFound');
    expect(classify({ kind: 'grpc', code: 4, message: 'DEADLINE_EXCEEDED' })).toBe('hung');
    expect(classify({ kind: 'kafka', status: '503' })).toBe('retryable');
    expect(classify({ kind: 'kafka', status: '404' })).toBe('notFound');
  });

  it('counts a refused connection as never accepted, a dropped one as lost', () => {
    expect(classify({ kind: 'transport', code: 'ECONNREFUSED', message: '' })).toBe('refused');
    expect(classify({ kind: 'transport', code: 'UND_ERR_SOCKET', message: 'other side closed' })).toBe('lost');
  });

  it('calls a late or missing synchronous answer hung, a missing streamed reply lost', () => {
    const late: CallRecord = { part: 'rest', id: 'a', sentAt: 0, settledAt: 40_000, how: http(200, { body: answered }) };
    expect(finalOutcome(late, 30_000)).toBe('hung');
    expect(finalOutcome({ ...late, settledAt: 100 }, 30_000)).toBe('ok');
    expect(finalOutcome({ part: 'grpc', id: 'b', sentAt: 0 }, 30_000)).toBe('hung');
    expect(finalOutcome({ part: 'kafka', id: 'c', sentAt: 0 }, 30_000)).toBe('lost');
    // A streamed reply has no client deadline: late is still answered.
    expect(finalOutcome({ part: 'kafka', id: 'd', sentAt: 0, settledAt: 90_000, how: { kind: 'kafka', status: '200' } }, 30_000)).toBe('ok');
  });

  it('tallies accepted as sent less refused, and puts each call in the window it was sent in', () => {
    const records: CallRecord[] = [
      { part: 'rest', id: '1', sentAt: 5, settledAt: 10, how: http(200, { body: answered }) },
      { part: 'rest', id: '2', sentAt: 15, settledAt: 16, how: { kind: 'transport', code: 'ECONNREFUSED', message: '' } },
      { part: 'kafka', id: '3', sentAt: 25 },
      { part: 'rest', id: '4', sentAt: 35, settledAt: 36, how: http(503, { retryAfter: '2' }) },
    ];
    const windows = groupByWindow(
      [
        { name: 'baseline', from: 0, to: 10 },
        { name: 'kill router', from: 10, to: 30 },
      ],
      records,
    );
    expect(windows.get('baseline')!.map((r) => r.id)).toEqual(['1']);
    // Sent after the last window closed: still the last fault's (the drain at the end of the run).
    expect(windows.get('kill router')!.map((r) => r.id)).toEqual(['2', '3', '4']);
    const t = tally(windows.get('kill router')!, 30_000);
    expect(t).toEqual({ ...emptyTally(), sent: 3, accepted: 2, refused: 1, lost: 1, retryable: 1 });
  });
});

describe('chaos report', () => {
  const clean: FaultRow = {
    fault: 'restart Redis',
    calls: { ...emptyTally(), sent: 10, accepted: 10, ok: 8, retryable: 2 },
    audit: { expected: 8, present: 8, duplicates: 0 },
    jobs: { expected: 1, present: 1 },
    duplicatedRuns: 0,
  };

  it('passes a fault with answers and retryable errors only', () => {
    expect(violations([clean])).toEqual([]);
  });

  it('fails on a lost call, a hung call, a 404, a missing audit row or a missing job row', () => {
    const bad: FaultRow = { ...clean, calls: { ...clean.calls, lost: 1, hung: 2, notFound: 3 }, audit: { expected: 8, present: 7, duplicates: 0 }, jobs: { expected: 2, present: 1 } };
    expect(violations([bad])).toEqual([
      'restart Redis: 1 accepted call(s) lost',
      'restart Redis: 2 call(s) hung',
      'restart Redis: 3 404 answer(s) for the deployed model',
      'restart Redis: 1 audit row(s) missing',
      'restart Redis: 1 job row(s) missing',
    ]);
  });

  it('prints one table row per fault', () => {
    const table = faultTable([clean]).split('\n');
    expect(table).toHaveLength(3);
    expect(table[2]).toBe('| restart Redis | 10 | 8 | 2 | 0 | 0 | 0 | 0 | 0 | 8 → 8 (0) | 1 → 1 | 0 |');
  });

  it('counts the runs beyond the first of each request id from the joined run ledgers', () => {
    const runs = runsPerRequest('a d1\nb d2\n' + 'a d3\nc d4\na d5\n\n');
    expect(runs.get('a')).toBe(3);
    expect(duplicatedRuns(['a', 'b', 'missing'], runs)).toBe(2);
    expect(duplicatedRuns(['c'], runs)).toBe(0);
    expect(duplicatesByDispatcher('a d1 gateway-1-x\na d2 router-vm-2\nb d3 router-vm-2\na d4 registry-vm-3\n')).toEqual({ router: 1, registry: 1 });
  });
});

describe('parseFaultKinds', () => {
  it("runs every fault without --faults, and the named ones in the schedule's order with it", () => {
    expect(parseFaultKinds(undefined)).toEqual([...FAULT_KINDS]);
    expect(parseFaultKinds('redis')).toEqual(['redis']);
    expect(parseFaultKinds('postgres, redis')).toEqual(['redis', 'postgres']);
  });

  it('refuses an unknown or empty list', () => {
    expect(() => parseFaultKinds('redis,disk')).toThrow('--faults redis,disk: name one or more of worker, router, redis, kafka, postgres');
    expect(() => parseFaultKinds('')).toThrow('--faults');
  });
});
