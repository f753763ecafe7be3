import { runKeyed } from './keyed-runner';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('runKeyed', () => {
  it('keeps the order within a key while keys run side by side', async () => {
    const items = ['a1', 'b1', 'a2', 'c1', 'b2', 'a3'];
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    await runKeyed(
      items,
      (i) => i[0],
      8,
      async (item) => {
        running++;
        peak = Math.max(peak, running);
        await tick();
        log.push(item);
        running--;
      },
    );
    expect(log.filter((i) => i.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(log.filter((i) => i.startsWith('b'))).toEqual(['b1', 'b2']);
    expect(log).toHaveLength(6);
    expect(peak).toBe(3); // one lane per key, three keys
  });

  it('never runs more than the concurrency limit', async () => {
    let running = 0;
    let peak = 0;
    await runKeyed(
      Array.from({ length: 50 }, (_, i) => i),
      String,
      4,
      async () => {
        peak = Math.max(peak, ++running);
        await tick();
        running--;
      },
    );
    expect(peak).toBe(4);
  });
});
