import type Redis from 'ioredis';
import type { Principal } from '@falaj/auth';
import type { DispatchReply, ModelSignature, RouteEntry, WorkerHeartbeat } from '@falaj/contracts';
import { DispatchTimeoutError } from '../pool-dispatcher';
import type { InferenceSteps } from './inference-call';
import { InferencePipeline } from './inference.pipeline';

const signature = (input: string): ModelSignature => ({ inputs: [{ name: input, datatype: 'FP32', shape: [-1, 4] }], outputs: [] });

/** Version 1 is ready on cpu.ae, version 2 (the whole split) still loading: a blue-green switch. */
const route: RouteEntry = {
  tenantId: 'acme',
  model: 'scorer',
  targets: [
    { version: 1, pool: 'cpu.ae', weight: 0 },
    { version: 2, pool: 'cpu.ae', weight: 100 },
  ],
  signatures: { '1': signature('v1'), '2': signature('v2') },
  regions: [],
  slaP95Ms: null,
  hardware: 'cpu',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const principal = { tenantId: 'acme', subject: 'alice', scopes: ['infer'] } as unknown as Principal;

/** The pipeline over in-memory fakes (no Redis): the route, the heartbeats, the worker's reply. */
function pipelineWith(reply: () => Promise<DispatchReply>) {
  const pipeline = new InferencePipeline({
    redis: { defineCommand: () => undefined } as unknown as Redis,
    routesSubscriber: {} as Redis,
    repliesReader: {} as Redis,
    prefix: 'test',
    replyTo: 'gw-1',
    timeoutMs: 1000,
    watchShadowPools: false,
  });
  const ready = new Set([1]);
  const heartbeat = (): WorkerHeartbeat => ({
    workerId: 'w1',
    pool: 'cpu.ae',
    region: 'ae',
    hardware: 'cpu',
    executionProvider: 'cpu',
    inFlight: 0,
    sentAt: Date.now(),
    models: [...ready].map((version) => ({ tenantId: 'acme', model: 'scorer', version, state: 'ready' as const })),
  });
  jest.spyOn(pipeline.routes, 'lookup').mockReturnValue(route);
  jest.spyOn(pipeline.pools, 'live').mockImplementation(() => [heartbeat()]);
  const refresh = jest.spyOn(pipeline.pools, 'refresh').mockResolvedValue();
  const dispatch = jest.spyOn(pipeline.dispatcher, 'dispatch').mockImplementation(reply);
  const order: string[] = [];
  const decode = jest.fn((s: ModelSignature) => {
    order.push(`decode ${s.inputs[0].name}`);
    return { inputs: [], outputs: [], binaryOutputs: { byName: {}, all: false } };
  });
  const steps: InferenceSteps = {
    admit: jest.fn(async () => {
      order.push('admit');
      return () => order.push('release');
    }),
  };
  const call = { principal, requestId: 'r1', model: 'scorer', decode };
  return { pipeline, ready, refresh, dispatch, order, steps, call };
}

const served =
  (version: number): (() => Promise<DispatchReply>) =>
  async () => ({ ok: true, dispatchId: 'd1', requestId: 'r1', tenantId: 'acme', model: 'scorer', version, workerId: 'w1', outputs: [], computeMs: 1 });

describe(InferencePipeline.name, () => {
  describe('infer', () => {
    it('serves an unasked request from the ready version while the split target loads, checking the miss once against Redis', async () => {
      const { pipeline, refresh, dispatch, order, steps, call } = pipelineWith(served(1));
      const outcome = await pipeline.infer(call, undefined, steps);
      expect(outcome).toMatchObject({ ok: true, version: 1, pool: 'cpu.ae', placement: 'fixed: deployment hardware cpu' });
      expect(refresh).toHaveBeenCalledWith(['cpu.ae']);
      expect(dispatch.mock.calls[0][1]).toMatchObject({ version: 1, model: 'scorer', tenantId: 'acme' });
      // Decoded against the served version's signature, after admission; the slot released.
      expect(order).toEqual(['admit', 'decode v1', 'release']);
    });

    it('refuses a version asked for that is not ready, at once and before admission, without awaitReady', async () => {
      const { pipeline, dispatch, order, steps, call } = pipelineWith(served(2));
      const outcome = await pipeline.infer(call, '2', steps);
      // Unplaced: no version in the audit facts, so the rollout analysis never counts it against version 2.
      expect(outcome).toMatchObject({ ok: false, version: null, pool: null, placement: null });
      expect(outcome.ok === false && outcome.error).toMatchObject({ status: 503, message: "model 'scorer' version 2 is not ready on any worker of pool cpu.ae" });
      expect(order).toEqual([]);
      expect(dispatch).not.toHaveBeenCalled();
    });

    it('admits and decodes before waiting with awaitReady, then dispatches where the version became ready', async () => {
      const { pipeline, ready, dispatch, order, steps, call } = pipelineWith(served(2));
      const awaitReady = jest.fn(async (_missed, place: () => ReturnType<InferencePipeline['place']>) => {
        order.push('wait');
        ready.add(2);
        return place();
      });
      const outcome = await pipeline.infer(call, '2', { ...steps, awaitReady });
      expect(outcome).toMatchObject({ ok: true, version: 2, pool: 'cpu.ae' });
      expect(order).toEqual(['admit', 'decode v2', 'wait', 'release']);
      expect(dispatch.mock.calls[0][1]).toMatchObject({ version: 2 });
    });

    it('falls back before it resorts to awaitReady', async () => {
      const { pipeline, steps, call } = pipelineWith(served(1));
      const awaitReady = jest.fn();
      await expect(pipeline.infer(call, undefined, { ...steps, awaitReady })).resolves.toMatchObject({ ok: true, version: 1 });
      expect(awaitReady).not.toHaveBeenCalled();
    });

    it("maps a worker's error to its status and a missing reply to 504, keeping where it was placed", async () => {
      const failed = pipelineWith(async () => ({ ok: false, dispatchId: 'd1', requestId: 'r1', tenantId: 'acme', model: 'scorer', version: 1, workerId: 'w1', status: 400, error: 'bad tensor' }));
      const refused = await failed.pipeline.infer(failed.call, undefined, failed.steps);
      expect(refused).toMatchObject({ ok: false, version: 1, pool: 'cpu.ae', error: { status: 400, message: 'bad tensor' } });
      const silent = pipelineWith(() => Promise.reject(new DispatchTimeoutError('no reply from pool cpu.ae within 1000 ms')));
      const timedOut = await silent.pipeline.infer(silent.call, undefined, silent.steps);
      expect(timedOut).toMatchObject({ ok: false, error: { status: 504, message: 'no reply from pool cpu.ae within 1000 ms' } });
      expect(silent.order.at(-1)).toBe('release');
    });

    it('tells the shedding step the dispatch latency, and leaves an unexpected error without a status', async () => {
      const { pipeline, steps, call } = pipelineWith(() => Promise.reject(new Error('redis down')));
      const answered = jest.fn();
      const beforeDispatch = jest.fn(() => answered);
      const outcome = await pipeline.infer(call, undefined, { ...steps, beforeDispatch });
      expect(beforeDispatch).toHaveBeenCalledWith('cpu.ae', route, expect.objectContaining({ inputs: [] }));
      expect(answered).toHaveBeenCalledWith(expect.any(Number));
      expect(outcome).toMatchObject({ ok: false, error: { message: 'redis down' } });
      expect(outcome.ok === false && 'status' in outcome.error).toBe(false);
    });
  });
});
