import { SerialLane } from './serial-lane';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe(SerialLane.name, () => {
  describe('run', () => {
    it('never lets two operations overlap, and keeps their order', async () => {
      const lane = new SerialLane();
      const log: string[] = [];
      let peak = 0;
      const op = (name: string, ticks: number) => async () => {
        peak = Math.max(peak, lane.running);
        log.push(`${name}:begin`);
        for (let i = 0; i < ticks; i++) await tick();
        log.push(`${name}:end`);
        return name;
      };
      // Handed in together, as batches of several partitions or a restart would.
      const results = await Promise.all([lane.run(op('a', 3)), lane.run(op('b', 1)), lane.run(op('c', 2))]);
      expect(results).toEqual(['a', 'b', 'c']);
      expect(log).toEqual(['a:begin', 'a:end', 'b:begin', 'b:end', 'c:begin', 'c:end']);
      expect(peak).toBe(1);
    });

    it('runs the next operation after one that failed, and hands the failure to its caller', async () => {
      const lane = new SerialLane();
      const failed = lane.run(async () => {
        await tick();
        throw new Error('transaction aborted');
      });
      const next = lane.run(async () => 'committed');
      await expect(failed).rejects.toThrow('transaction aborted');
      await expect(next).resolves.toBe('committed');
      expect(lane.running).toBe(0);
    });
  });
});
