import { Logger } from '@nestjs/common';
import type { InferenceSession } from 'onnxruntime-node';
import type { DispatchRequest } from '@falaj/contracts';
import type { InferOutcome, VersionBatcher } from '../batching/batch-execution';
import { batchKey, checkRequest } from '../batching/request-check';
import type { ModelLoader } from './model-loader';
import { modelKey, type ModelTable } from './model-table';

/**
 * The executor (MLServer's and KServe's data plane on the worker): the one way a request reaches
 * a session. The pool stream's requests and the job rows the registry runs through the same
 * stream are served alike: the version found in the table (loaded on demand if it was evicted),
 * the request checked against its signature, then queued in its batcher, whose execution half
 * (BatchExecution) keeps the deadlines and isolates failures.
 */

export class ModelNotLoadedError extends Error {}

export class ModelExecutor {
  private readonly logger = new Logger(ModelExecutor.name);

  constructor(
    private readonly table: ModelTable,
    private readonly loader: ModelLoader,
  ) {}

  /**
   * Serves one request through its version's batcher. A known version evicted from memory is
   * loaded first (a cold start, logged and reported); a malformed request is refused before it
   * can join a batch.
   */
  async infer(request: DispatchRequest): Promise<InferOutcome> {
    const key = modelKey(request.tenantId, request.model, request.version);
    const slot = this.table.get(key);
    if (!slot) return notServed(request, 'not hosted');
    slot.lastUsed = performance.now();
    // A version this worker is told to serve and is loading now: the request waits for the load
    // (warm-up included) rather than being answered 503 by a worker that will have it in a moment.
    if (!slot.hosted && slot.loading) await slot.loading;
    if (!slot.hosted) {
      if (slot.state.state !== 'unloaded') return notServed(request, slot.state.state);
      const waited = performance.now();
      await this.loader.load(key, slot);
      if (!slot.hosted) return notServed(request, slot.state.state);
      this.logger.log({ key, requestId: request.requestId, waitedMs: Math.round(performance.now() - waited) }, 'served a request after an on-demand load');
    }
    const hosted = slot.hosted;
    try {
      checkRequest(request.inputs, hosted.signature);
    } catch (error) {
      return { ok: false, status: 400, error: (error as Error).message };
    }
    const batch = batchKey(request.inputs, request.outputs);
    return (slot.batcher as VersionBatcher).submit(request, batch?.key ?? null, batch?.size ?? 1);
  }

  /** Runs a loaded version directly (no batching); a version being unloaded finishes the runs it has already started. */
  async run(tenantId: string, model: string, version: number, feeds: InferenceSession.FeedsType, fetches?: string[]): Promise<InferenceSession.ReturnType> {
    const slot = this.table.get(modelKey(tenantId, model, version));
    if (!slot?.hosted) {
      const state = slot?.state.state ?? 'not hosted';
      throw new ModelNotLoadedError(`model '${model}' version ${version} is ${state} on this worker`);
    }
    const { instances } = slot.hosted;
    const instance = instances[slot.rr++ % instances.length];
    slot.running++;
    slot.lastUsed = performance.now();
    try {
      return await instance.run(feeds, fetches && fetches.length > 0 ? fetches : undefined);
    } finally {
      if (--slot.running === 0) slot.runsDone?.();
    }
  }
}

function notServed(request: DispatchRequest, state: string): InferOutcome {
  return { ok: false, status: 503, error: `model '${request.model}' version ${request.version} is ${state} on this worker` };
}
