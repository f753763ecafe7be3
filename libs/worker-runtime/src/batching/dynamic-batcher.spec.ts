import { DEFAULT_EXECUTION } from '../execution-settings';
import { DynamicBatcher, type BatchMember } from './dynamic-batcher';

type Batches = string[][];

/** A runner that records each batch and holds it until released, like a busy session. */
function harness(batching: Partial<typeof DEFAULT_EXECUTION.batching>, instances = 1, batchable = true) {
  const batches: Batches = [];
  const release: (() => void)[] = [];
  const batcher = new DynamicBatcher<string, string>({ ...DEFAULT_EXECUTION.batching, ...batching }, instances, batchable, (_instance, members: BatchMember<string, string>[]) => {
    batches.push(members.map((m) => m.item));
    return new Promise<void>((done) =>
      release.push(() => {
        members.forEach((m) => m.resolve(`${m.item}@${members.length}`));
        done();
      }),
    );
  });
  const flush = () => new Promise((r) => setImmediate(r));
  const releaseNext = async () => {
    release.shift()?.();
    await flush();
  };
  return { batcher, batches, releaseNext, flush };
}

describe(DynamicBatcher.name, () => {
  describe('submit', () => {
    it('batches the requests that arrive in one turn of the event loop', async () => {
      const { batcher, batches, flush } = harness({ maxBatchSize: 8 });
      void batcher.submit('a', 'k', 1);
      void batcher.submit('b', 'k', 2);
      expect(batches).toEqual([]);
      await flush();
      expect(batches).toEqual([['a', 'b']]);
    });

    it('runs a lone request at once and batches what queues while the instance is busy', async () => {
      const { batcher, batches, releaseNext, flush } = harness({ maxBatchSize: 8 });
      const first = batcher.submit('a', 'k', 1);
      await flush();
      const results = [first, batcher.submit('b', 'k', 1), batcher.submit('c', 'k', 2), batcher.submit('x', 'other', 1)];
      await flush();
      expect(batches).toEqual([['a']]);
      expect(batcher.queueDepth).toBe(3);
      await releaseNext();
      expect(batches).toEqual([['a'], ['b', 'c']]);
      await releaseNext();
      expect(batches[2]).toEqual(['x']);
      await releaseNext();
      await expect(Promise.all(results)).resolves.toEqual(['a@1', 'b@2', 'c@2', 'x@1']);
    });

    it('never puts more rows than maxBatchSize in a batch, except a single oversized request', async () => {
      const { batcher, batches, releaseNext, flush } = harness({ maxBatchSize: 4 });
      void batcher.submit('busy', 'k', 1);
      await flush();
      for (const [item, rows] of [
        ['a', 3],
        ['b', 2],
        ['c', 2],
        ['big', 9],
      ] as const)
        void batcher.submit(item, 'k', rows);
      await releaseNext();
      await releaseNext();
      await releaseNext();
      expect(batches).toEqual([['busy'], ['a'], ['b', 'c'], ['big']]);
    });

    it('cuts at the largest preferred batch size it can form', async () => {
      const { batcher, batches, releaseNext, flush } = harness({ maxBatchSize: 16, preferredBatchSizes: [2, 4] });
      void batcher.submit('busy', 'k', 1);
      await flush();
      for (const item of ['a', 'b', 'c', 'd', 'e']) void batcher.submit(item, 'k', 1);
      await releaseNext();
      expect(batches[1]).toEqual(['a', 'b', 'c', 'd']);
    });

    it('waits up to maxQueueDelayMicros for company, then runs what it has', async () => {
      const { batcher, batches } = harness({ maxBatchSize: 8, maxQueueDelayMicros: 30_000 });
      const started = performance.now();
      void batcher.submit('a', 'k', 1);
      void batcher.submit('b', 'k', 1);
      expect(batches).toEqual([]);
      while (batches.length === 0) await new Promise((r) => setTimeout(r, 2));
      expect(performance.now() - started).toBeGreaterThanOrEqual(25);
      expect(batches).toEqual([['a', 'b']]);
    });

    it('runs a full batch without waiting out the delay', async () => {
      const { batcher, batches, flush } = harness({ maxBatchSize: 2, maxQueueDelayMicros: 10_000_000 });
      void batcher.submit('a', 'k', 1);
      void batcher.submit('b', 'k', 1);
      await flush();
      expect(batches).toEqual([['a', 'b']]);
    });

    it('runs requests one by one when batching is off or the model has no batch dimension', async () => {
      for (const h of [harness({ enabled: false }), harness({}, 1, false)]) {
        void h.batcher.submit('busy', 'k', 1);
        await h.flush();
        void h.batcher.submit('a', 'k', 1);
        void h.batcher.submit('b', 'k', 1);
        await h.releaseNext();
        await h.releaseNext();
        expect(h.batches).toEqual([['busy'], ['a'], ['b']]);
      }
    });

    it('gives each free instance its own batch', async () => {
      const { batcher, batches, flush } = harness({ maxBatchSize: 1 }, 2);
      void batcher.submit('a', 'k', 1);
      void batcher.submit('b', 'k', 1);
      void batcher.submit('c', 'k', 1);
      await flush();
      expect(batches).toEqual([['a'], ['b']]);
      expect(batcher.running).toBe(2);
    });
  });

  describe('drained', () => {
    it('resolves only once nothing is queued or running', async () => {
      const { batcher, releaseNext, flush } = harness({ maxBatchSize: 1 });
      void batcher.submit('a', 'k', 1);
      void batcher.submit('b', 'k', 1);
      await flush();
      let done = false;
      void batcher.drained().then(() => (done = true));
      await releaseNext();
      expect(done).toBe(false);
      await releaseNext();
      expect(done).toBe(true);
    });
  });
});
