import { InferenceSession, Tensor } from 'onnxruntime-node';
import { inProcessRunner, ThreadRunner, type InstanceRunner } from '@falaj/worker-runtime';
import type { BenchModel } from './bench-models';
import { sampleInput } from './bench-models';
import { summarize, type Measured } from './percentiles';

export interface RawResult {
  /** Sessions and intra-op threads each: the deployment's shape, measured the same way. */
  sessions: number;
  threads: number;
  /** c callers, each running one item at a time on a free session (batching off). */
  concurrent: Map<number, Measured>;
  /** Every session running batches of b items back to back (a perfect batcher); latency is a batch's run time. */
  batched: Map<number, Measured>;
}

const tensor = (model: BenchModel, batch: number) => {
  const input = sampleInput(model, batch);
  return { [model.input]: new Tensor('float32', new Float32Array(input.data.buffer, input.data.byteOffset, input.data.length / 4), input.shape) };
};

/**
 * onnxruntime-node in this process, no network: the limit the gateway is measured against, with
 * the deployment's sessions × intra-op threads. The sessions are made as the worker makes its
 * instances (libs/worker-runtime: the first on this thread, the others on worker threads), so
 * raw and served differ only by what sits between the socket and the session.
 */
export async function measureRaw(model: BenchModel, shape: { sessions: number; threads: number }, seconds: number): Promise<RawResult> {
  const options: InferenceSession.SessionOptions = { intraOpNumThreads: shape.threads, graphOptimizationLevel: 'all' };
  const runners: InstanceRunner[] = [inProcessRunner(await InferenceSession.create(model.path, options))];
  try {
    for (let i = 1; i < shape.sessions; i++) runners.push(await ThreadRunner.create(model.path, options));
    const result: RawResult = { ...shape, concurrent: new Map(), batched: new Map() };
    for (const c of model.concurrencies) {
      const feeds = tensor(model, 1);
      for (const runner of runners) await runner.run(feeds);
      const latencies: number[] = [];
      const free = [...runners];
      const waiting: ((runner: InstanceRunner) => void)[] = [];
      const take = () => (free.length > 0 ? Promise.resolve(free.pop()!) : new Promise<InstanceRunner>((resolve) => waiting.push(resolve)));
      const give = (runner: InstanceRunner) => (waiting.length > 0 ? waiting.shift()!(runner) : free.push(runner));
      const started = performance.now();
      const end = started + seconds * 1000;
      await Promise.all(
        Array.from({ length: c }, async () => {
          while (performance.now() < end) {
            const t = performance.now();
            const runner = await take();
            await runner.run(feeds);
            give(runner);
            latencies.push(performance.now() - t);
          }
        }),
      );
      result.concurrent.set(c, summarize(latencies, latencies.length, (performance.now() - started) / 1000));
    }
    for (const b of new Set([...model.rawBatches, ...model.concurrencies])) {
      const feeds = tensor(model, b);
      for (const runner of runners) await runner.run(feeds);
      const latencies: number[] = [];
      const started = performance.now();
      const end = started + seconds * 1000;
      await Promise.all(
        runners.map(async (runner) => {
          while (performance.now() < end) {
            const t = performance.now();
            await runner.run(feeds);
            latencies.push(performance.now() - t);
          }
        }),
      );
      result.batched.set(b, summarize(latencies, latencies.length * b, (performance.now() - started) / 1000));
    }
    return result;
  } finally {
    for (const runner of runners) await runner.release();
  }
}

/** Raw onnxruntime's best items/s over the batch sizes tried, and at which size. */
export function bestBatched(raw: RawResult): { batch: number; throughput: number; sessions: number; threads: number } {
  let best = { batch: 1, throughput: 0 };
  for (const [batch, m] of raw.batched) if (m.throughput > best.throughput) best = { batch, throughput: m.throughput };
  return { ...best, sessions: raw.sessions, threads: raw.threads };
}
