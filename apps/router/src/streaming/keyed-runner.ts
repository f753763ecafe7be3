/**
 * Runs `work` for every item, at most `concurrency` at once, but the items of one key strictly
 * one after another in their given order: per-key ordering with parallelism across keys.
 */
export async function runKeyed<T>(items: readonly T[], keyOf: (item: T) => string, concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  const lanes = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const lane = lanes.get(key);
    if (lane) lane.push(item);
    else lanes.set(key, [item]);
  }
  const queue = [...lanes.values()];
  const runLane = async (): Promise<void> => {
    for (let lane = queue.shift(); lane; lane = queue.shift()) {
      for (const item of lane) await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, runLane));
}
