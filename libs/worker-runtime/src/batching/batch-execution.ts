import { Logger } from '@nestjs/common';
import type { DispatchRequest, ModelSignature, TensorPayload } from '@falaj/contracts';
import { fromOrtTensor, toOrtTensor } from '@falaj/onnx';
import type { VersionSeries } from '@falaj/observability';
import { endSpan, tracing, type Span } from '@falaj/tracing';
import type { ExecutionSettings } from '../execution-settings';
import type { ExecutionStats } from '../execution-stats';
import { requestSpans } from '../request-spans';
import type { InstanceRunner } from '../session-thread';
import { BatchSplitError, mergeFeeds, splitOutputs } from './batch-tensors';
import { DynamicBatcher, type BatchMember } from './dynamic-batcher';
import { RequestRejectedError, hasBatchDimension } from './request-check';

/**
 * The batcher's execution half: DynamicBatcher decides which requests run together and when,
 * this runs them on an instance and settles every member. It is where a request's deadline is
 * checked a last time and where failures are kept to the request that caused them.
 */

/** What one request came to: its outputs, or a status and the reason. */
export type InferOutcome = { ok: true; outputs: TensorPayload[]; computeMs: number; batchRequests: number } | { ok: false; status: number; error: string };

export type VersionBatcher = DynamicBatcher<DispatchRequest, InferOutcome>;
type Member = BatchMember<DispatchRequest, InferOutcome>;

/** The loaded version a batch runs on. */
export interface BatchTarget {
  model: string;
  version: number;
  signature: ModelSignature;
  instances: InstanceRunner[];
  settings: ExecutionSettings;
}

/** Where a version's runs are counted: its stats for the heartbeat, its metric series. */
export interface RunRecord {
  stats?: ExecutionStats;
  series?: VersionSeries;
}

/** A loaded version's batcher: the scheduler, running its batches through BatchExecution. */
export function versionBatcher(target: BatchTarget, record: RunRecord): VersionBatcher {
  const execution = new BatchExecution(target, record);
  return new DynamicBatcher(target.settings.batching, target.instances.length, hasBatchDimension(target.signature), (instance, members) => execution.run(instance, members));
}

export class BatchExecution {
  private readonly logger = new Logger(BatchExecution.name);

  constructor(
    private readonly target: BatchTarget,
    private readonly record: RunRecord,
  ) {}

  /**
   * One run for the whole batch; its outputs are cut back per member. If the merged run fails
   * (a member the checks let through, or a model that does not batch along axis 0), every member
   * runs alone so only the bad one fails.
   */
  async run(instance: number, members: Member[]): Promise<void> {
    const { target, record } = this;
    const session = target.instances[instance];
    // Under overload a request can outwait its caller in the queue: running it would only delay the live ones.
    const now = Date.now();
    const late = members.filter((m) => now > m.item.deadline);
    if (late.length > 0) {
      for (const m of late) m.resolve({ ok: false, status: 504, error: 'the deadline passed while the request was queued' });
      members = members.filter((m) => now <= m.item.deadline);
      if (members.length === 0) return;
    }
    const batch = batchSpan(target, instance, members);
    if (members.length > 1) {
      const started = performance.now();
      const run = batch && tracing().startSpan('onnxruntime run', batch, { attributes: { 'falaj.batch.size': members.length } });
      try {
        const feeds = mergeFeeds(members.map((m) => m.item.inputs));
        const results = await session.run(feeds, fetchesOf(members[0].item));
        const computeMs = performance.now() - started;
        const split = splitOutputs(
          results,
          members.map((m) => m.size),
        );
        record.stats?.record(computeMs, members.length);
        record.series?.batchSize.observe(members.length);
        endSpan(run);
        endSpan(batch);
        members.forEach((m, i) => m.resolve({ ok: true, outputs: split[i], computeMs, batchRequests: members.length }));
        return;
      } catch (error) {
        endSpan(run, error);
        record.stats?.recordFallback();
        const level = error instanceof BatchSplitError ? 'warn' : 'log';
        this.logger[level]({ model: target.model, version: target.version, members: members.length, error: (error as Error).message }, 'batched run failed; running its members one by one');
      }
    }
    for (const member of members) member.resolve(await this.runOne(session, member.item, batch));
    endSpan(batch);
  }

  private async runOne(session: InstanceRunner, request: DispatchRequest, batch?: Span): Promise<InferOutcome> {
    const started = performance.now();
    const parent = batch ?? requestSpans.get(request);
    const run = parent && tracing().startSpan('onnxruntime run', parent, { attributes: { 'falaj.batch.size': 1 } });
    try {
      const feeds = Object.fromEntries(request.inputs.map((t) => [t.name, toOrtTensor(t)]));
      const results = await session.run(feeds, fetchesOf(request));
      const computeMs = performance.now() - started;
      this.record.stats?.record(computeMs, 1);
      this.record.series?.batchSize.observe(1);
      endSpan(run);
      return { ok: true, outputs: Object.entries(results).map(([name, t]) => fromOrtTensor(name, t)), computeMs, batchRequests: 1 };
    } catch (error) {
      endSpan(run, error);
      const message = (error as Error).message;
      if (error instanceof RequestRejectedError || error instanceof RangeError) return { ok: false, status: 400, error: message };
      this.logger.warn({ requestId: request.requestId, model: request.model, error: message }, 'inference failed');
      return { ok: false, status: 500, error: `model execution failed: ${message}` };
    }
  }
}

/**
 * The batch's span, when any member is traced: each traced member's queue wait ends now (a span
 * from its arrival in the batcher), and the batch links every traced member's span. It hangs
 * under the first traced member (a span has one parent) and names all of them in
 * `falaj.batch.members` too, since Zipkin keeps no links.
 */
function batchSpan(target: BatchTarget, instance: number, members: Member[]): Span | undefined {
  const tracer = tracing();
  if (!tracer.enabled) return undefined;
  const traced = members.flatMap((m) => {
    const span = requestSpans.get(m.item);
    return span ? [{ member: m, span }] : [];
  });
  if (traced.length === 0) return undefined;
  const now = performance.now();
  for (const { member, span } of traced) endSpan(tracer.startSpan('queue', span, { startTime: member.enqueuedAt }), undefined, now);
  return tracer.startSpan('batch', traced[0].span, {
    links: traced.map((t) => t.span),
    attributes: {
      'falaj.model': target.model,
      'falaj.version': target.version,
      'falaj.instance': instance,
      'falaj.batch.size': members.length,
      'falaj.batch.members': traced.map((t) => `${t.span.spanContext().traceId}-${t.span.spanContext().spanId}`).join(','),
    },
  });
}

const fetchesOf = (request: DispatchRequest): string[] | undefined => (request.outputs.length > 0 ? request.outputs : undefined);
