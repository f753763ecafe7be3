import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { BenchModel } from './bench-models';
import { sampleInput } from './bench-models';
import { summarize, type Measured } from './percentiles';

export interface RawResult {
  /** c callers, each running one item at a time on the one session (batching off). */
  concurrent: Map<number, Measured>;
  /** One caller running batches of b items (a perfect batcher); latency is the batch's run time. */
  batched: Map<number, Measured>;
}

const tensor = (model: BenchModel, batch: number) => {
  const input = sampleInput(model, batch);
  return { [model.input]: new Tensor('float32', new Float32Array(input.data.buffer, input.data.byteOffset, input.data.length / 4), input.shape) };
};

/**
 * onnxruntime-node in this process, no network: the limit the gateway is measured against, at
 * the worker's intra-op thread count.
 */
export async function measureRaw(model: BenchModel, threads: number, seconds: number): Promise<RawResult> {
  const session = await InferenceSession.create(model.path, { intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  try {
    const result: RawResult = { concurrent: new Map(), batched: new Map() };
    for (const c of model.concurrencies) {
      const feeds = tensor(model, 1);
      await session.run(feeds);
      const latencies: number[] = [];
      const started = performance.now();
      const end = started + seconds * 1000;
      await Promise.all(
        Array.from({ length: c }, async () => {
          while (performance.now() < end) {
            const t = performance.now();
            await session.run(feeds);
            latencies.push(performance.now() - t);
          }
        }),
      );
      result.concurrent.set(c, summarize(latencies, latencies.length, (performance.now() - started) / 1000));
    }
    for (const b of new Set([...model.rawBatches, ...model.concurrencies])) {
      const feeds = tensor(model, b);
      await session.run(feeds);
      const latencies: number[] = [];
      const started = performance.now();
      while (performance.now() < started + seconds * 1000) {
        const t = performance.now();
        await session.run(feeds);
        latencies.push(performance.now() - t);
      }
      result.batched.set(b, summarize(latencies, latencies.length * b, (performance.now() - started) / 1000));
    }
    return result;
  } finally {
    await session.release();
  }
}

/** Raw onnxruntime's best items/s over the batch sizes tried, and at which size. */
export function bestBatched(raw: RawResult): { batch: number; throughput: number } {
  let best = { batch: 1, throughput: 0 };
  for (const [batch, m] of raw.batched) if (m.throughput > best.throughput) best = { batch, throughput: m.throughput };
  return best;
}
