import fc from 'fast-check';
import { backoffMs, settleInOrder, type ItemClass, type SettleSteps } from './batch-settler';
import { RecordRejectedError } from './record-rejected.error';

interface Item {
  id: number;
  class: ItemClass;
}

/** A handler that writes all or nothing and rejects a batch holding a bad id, as one multi-row INSERT does. */
function harness(items: Item[], bad: Set<number>, options: { transientAt?: number } = {}) {
  const written: number[] = [];
  const quarantined: { id: number; reason: string }[] = [];
  const settled: number[] = [];
  let calls = 0;
  const steps: SettleSteps<Item> = {
    classify: (item) => item.class,
    handle: async (batch) => {
      calls++;
      const culprit = batch.find((i) => bad.has(i.id));
      if (culprit) throw new RecordRejectedError(`22021: invalid byte sequence (id ${culprit.id})`);
      if (options.transientAt !== undefined && batch.some((i) => i.id === options.transientAt)) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      written.push(...batch.map((i) => i.id));
    },
    quarantine: async (item, error) => void quarantined.push({ id: item.id, reason: error.reason }),
    settled: (item) => void settled.push(item.id),
  };
  return { steps, written, quarantined, settled, calls: () => calls, items };
}

const records = (n: number): Item[] => Array.from({ length: n }, (_, id) => ({ id, class: 'record' as const }));

describe('settleInOrder', () => {
  it('handles a clean batch in one call and settles its last item', async () => {
    const h = harness(records(5), new Set());
    await expect(settleInOrder(h.items, h.steps)).resolves.toEqual({ handlerCalls: 1, quarantined: 0 });
    expect(h.written).toEqual([0, 1, 2, 3, 4]);
    expect(h.settled).toEqual([4]);
  });

  it('bisects a rejected batch: writes every good record, quarantines the bad one with its reason', async () => {
    const h = harness(records(100), new Set([37]));
    const report = await settleInOrder(h.items, h.steps);
    expect(h.written).toEqual(
      records(100)
        .map((i) => i.id)
        .filter((id) => id !== 37),
    );
    expect(h.quarantined).toEqual([{ id: 37, reason: '22021: invalid byte sequence (id 37)' }]);
    expect(report.quarantined).toBe(1);
    // 1 + 2 per level of a 100-record tree: O(log n), not n.
    expect(report.handlerCalls).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(100)));
  });

  it('quarantines an item already refused (a message that did not parse) without calling the handler for it, and skips tombstones', async () => {
    const items: Item[] = [
      { id: 0, class: 'record' },
      { id: 1, class: new RecordRejectedError('not JSON') },
      { id: 2, class: 'skip' },
      { id: 3, class: 'record' },
    ];
    const h = harness(items, new Set());
    await settleInOrder(items, h.steps);
    expect(h.written).toEqual([0, 3]);
    expect(h.quarantined).toEqual([{ id: 1, reason: 'not JSON' }]);
    expect(h.settled).toEqual([0, 1, 2, 3]);
  });

  it('lets a transient error through after settling only the prefix that is done', async () => {
    const h = harness(records(8), new Set([1]), { transientAt: 6 });
    await expect(settleInOrder(h.items, h.steps)).rejects.toThrow('ECONNREFUSED');
    // 0 written, 1 quarantined, 2..3 written, then the half holding 6 failed transiently.
    expect(h.quarantined.map((q) => q.id)).toEqual([1]);
    expect(h.written).toEqual([0, 2, 3]);
    expect(Math.max(...h.settled)).toBe(3);
    expect(h.written).not.toContain(6);
  });

  it('lets a transient failure of the quarantine through without settling the record', async () => {
    const h = harness(records(3), new Set([1]));
    h.steps.quarantine = async () => {
      throw new Error('KafkaJSConnectionError');
    };
    await expect(settleInOrder(h.items, h.steps)).rejects.toThrow('KafkaJSConnectionError');
    expect(h.settled).toEqual([0]);
  });

  it('aborts between handler calls when told to (a rebalance seen by the heartbeat)', async () => {
    const h = harness(records(4), new Set([3]));
    h.steps.between = async () => {
      throw new Error('REBALANCE_IN_PROGRESS');
    };
    await expect(settleInOrder(h.items, h.steps)).rejects.toThrow('REBALANCE_IN_PROGRESS');
    expect(h.written).toEqual([]);
  });

  it('for any batch and bad set: writes exactly the good records in order, quarantines exactly the bad, settles in order to the end', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200 }).chain((n) => fc.tuple(fc.constant(n), fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: Math.min(n, 12) }))),
        async ([n, badIds]) => {
          const bad = new Set(badIds);
          const h = harness(records(n), bad);
          const report = await settleInOrder(h.items, h.steps);
          expect(h.written).toEqual(
            records(n)
              .map((i) => i.id)
              .filter((id) => !bad.has(id)),
          );
          expect(h.quarantined.map((q) => q.id)).toEqual([...bad].sort((a, b) => a - b));
          expect(h.settled).toEqual([...h.settled].sort((a, b) => a - b));
          expect(h.settled.at(-1)).toBe(n - 1);
          expect(report.handlerCalls).toBeLessThanOrEqual(1 + 2 * bad.size * Math.max(1, Math.ceil(Math.log2(n))));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('backoffMs', () => {
  it('doubles from initialMs up to maxMs, half of it random', () => {
    const options = { initialMs: 200, maxMs: 10_000 };
    expect(backoffMs(1, options, () => 0)).toBe(100);
    expect(backoffMs(1, options, () => 1)).toBe(200);
    expect(backoffMs(3, options, () => 1)).toBe(800);
    expect(backoffMs(30, options, () => 1)).toBe(10_000);
    expect(backoffMs(30, options, () => 0)).toBe(5_000);
  });
});
