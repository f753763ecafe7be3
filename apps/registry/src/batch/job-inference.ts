import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { InferencePipeline, answerOf, inferenceAuditEvent } from '@falaj/dispatch';
import { InferenceMetrics } from '@falaj/observability';
import { createRedis } from '@falaj/messaging';
import { decodeJsonInferRequest, encodeJsonInferResponse } from '@falaj/oip';
import { Admission, QuotaReader, TokenBuckets, type RoutingTableReader } from '@falaj/routing';
import { SpanKind, endSpan, recordedTraceId, tracing } from '@falaj/tracing';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { rowRetryOf, type RowRetry } from './batch-row-retry.policy';
import { jobRowCall, rowEventId, type JobOfRow, type RowAnswer } from './job-row';

export type RowAttempt = { answer: RowAnswer } | { retry: Extract<RowRetry, { retry: true }> };

/**
 * Jobs' entry point into the one inference plan: each row runs through the pipeline of
 * libs/dispatch exactly as a REST call does — resolved to the job's version, placed in the
 * submitter's residency region (never elsewhere), admitted by the tenant's shared token buckets
 * (a token per row), decoded against the served signature, dispatched to the pool's stream (the
 * workers' dynamic batcher, deadlines, on-demand reload) — and audited once, by the caller,
 * in the transaction that stores its answer.
 */
@Injectable()
export class JobInference implements OnModuleInit, OnApplicationShutdown {
  private readonly redis: Redis;
  private readonly pipeline: InferencePipeline;
  private readonly quotas: QuotaReader;
  private readonly admission: Admission;

  constructor(
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly calls: InferenceMetrics,
  ) {
    const id = config.registryId;
    this.redis = createRedis(config.redis, `${id}:jobs`, { autoPipelining: true });
    this.pipeline = new InferencePipeline({
      redis: this.redis,
      routesSubscriber: createRedis(config.redis, `${id}:routes`),
      repliesReader: createRedis(config.redis, `${id}:replies`),
      prefix: config.prefix,
      replyTo: id,
      timeoutMs: config.inferTimeoutMs,
      watchShadowPools: false,
      streams: { limits: config.poolStreams },
    });
    this.quotas = new QuotaReader(this.redis, createRedis(config.redis, `${id}:quotas`), config.prefix, config.quotas);
    const buckets = new TokenBuckets(this.redis, config.prefix, this.quotas.current);
    // The shared buckets, without a per-instance in-flight limit: FALAJ_BATCH_ROWS_IN_FLIGHT bounds a runner.
    this.admission = new Admission({ take: (tenantId, model) => buckets.take(tenantId, model) });
  }

  get routes(): RoutingTableReader {
    return this.pipeline.routes;
  }

  async onModuleInit(): Promise<void> {
    await this.quotas.start();
    await this.pipeline.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pipeline.stop();
    await this.quotas.stop();
    await this.redis.quit().catch(() => undefined);
  }

  /** One row through the plan: its final answer (with its audit event), or why it must run again later. */
  async runRow(job: JobOfRow, index: number, input: unknown): Promise<RowAttempt> {
    const started = performance.now();
    const call = jobRowCall(job, index);
    // The row's span, a child of the submission's (the job's trace context); each attempt is one.
    const span = tracing().startSpan('job row', job.traceparent ?? undefined, {
      kind: SpanKind.CONSUMER,
      attributes: { 'falaj.job': job.id, 'falaj.row': index, 'falaj.model': job.model, 'falaj.version': job.version },
    });
    const outcome = await this.pipeline.infer(
      { ...call, trace: span ?? job.traceparent ?? undefined, decode: (signature) => decodeJsonInferRequest(input, signature, undefined, this.config.tensorLimits) },
      String(job.version),
      { admit: this.admission.admit },
    );
    endSpan(span, outcome.ok ? undefined : outcome.error);
    if (!outcome.ok) {
      const retry = rowRetryOf(outcome.error);
      if (retry.retry) {
        span?.setAttribute('falaj.row.retry', true);
        return { retry };
      }
    }
    const latencyMs = performance.now() - started;
    const answer = answerOf(outcome);
    const { tenantId } = call.principal;
    // Counted where the row's audit event is made, as on every edge (job rows are protocol "batch" or "async").
    this.calls.observe(
      tenantId,
      call.model,
      this.pipeline.routes.lookup(tenantId, call.model) !== undefined,
      outcome.version,
      outcome.pool,
      call.protocol,
      answer.status,
      latencyMs / 1000,
      recordedTraceId(span),
    );
    const audit = inferenceAuditEvent(call, answer, outcome, latencyMs, rowEventId(job.id, index));
    if (!outcome.ok) return { answer: { index, ok: false, status: audit.status, error: outcome.error.message, pool: outcome.pool, workerId: null, audit } };
    const response = encodeJsonInferResponse({ modelName: job.model, modelVersion: String(outcome.reply.version), id: outcome.request.id, outputs: outcome.reply.outputs });
    return { answer: { index, ok: true, response: response as unknown as Record<string, unknown>, pool: outcome.pool, workerId: outcome.reply.workerId, audit } };
  }
}
