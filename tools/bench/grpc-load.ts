import type { TensorPayload } from '@falaj/contracts';
import { OipGrpcClient } from '@falaj/testing';
import type { LoadResult } from './http-load';
import { summarize } from './percentiles';

/**
 * Closed-loop gRPC load: `concurrency` callers on one channel (HTTP/2 multiplexes them, as
 * tritonclient.grpc does), each keeping one ModelInfer in flight for `seconds`.
 */
export async function grpcLoad(target: ConstructorParameters<typeof OipGrpcClient>[0], token: string, model: string, input: TensorPayload, concurrency: number, seconds: number): Promise<LoadResult> {
  const client = new OipGrpcClient(target, token);
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const caller = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      try {
        await client.infer({ model, inputs: [input] });
        latencies.push(performance.now() - started);
      } catch {
        errors++;
      }
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: concurrency }, caller));
  const elapsed = (performance.now() - began) / 1000;
  client.close();
  return { ...summarize(latencies, latencies.length, elapsed), errors, non2xx: 0 };
}
