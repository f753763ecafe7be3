import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Consumer, EachBatchPayload, Kafka, Message, Producer } from 'kafkajs';
import { Authenticator, SCOPES, hasScopes, type Principal } from '@falaj/auth';
import { AuditEventSchema, auditEventOf, auditTopic, inferenceStreamTopics } from '@falaj/contracts';
import { InferencePipeline, statusOf, type InferenceFacts } from '@falaj/dispatch';
import { KAFKA, createRedis, ensureTopics } from '@falaj/messaging';
import { decodeJsonInferRequest, encodeJsonInferResponse } from '@falaj/oip';
import { QuotaError, QuotaReader, TokenBuckets, UnroutableError, type Placement } from '@falaj/routing';
import { ROUTER_CONFIG, type RouterConfig } from '../router.config';
import { runKeyed } from './keyed-runner';
import { parseStreamMessage, type ParsedStreamMessage } from './stream-message.parser';
import { deadLetterMessage, responseMessage, type StreamOutcome } from './stream-outcome';
import { StreamingMetrics } from './streaming.metrics';

/** How long a request id stays remembered as answered (duplicates within it are dropped). */
const ANSWERED_TTL_SECONDS = 24 * 3600;
/** How long a request waits for its pool to have a ready worker before it is answered 503. */
const READY_WAIT_MS = 30_000;

type Ready = Extract<ParsedStreamMessage, { ok: true }>;

/** The bridge holds no concurrency slot per request: admission has nothing to release. */
const NO_SLOT = (): void => undefined;

/**
 * Streaming inference over Kafka: consumes `<prefix>.inference.requests`, runs each request on
 * its model's pool like the gateway does, and answers on `<prefix>.inference.responses` (or the
 * request's `reply-topic`). Each consumed batch is answered in one Kafka transaction together
 * with its offsets, its audit events and its dead letters: a crash before the commit replays the
 * batch and its aborted answers stay invisible to read_committed consumers; after the commit, the
 * answered request ids are remembered in Redis so a request published twice is answered once.
 */
@Injectable()
export class StreamingBridge implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(StreamingBridge.name);
  private readonly topics: ReturnType<typeof inferenceStreamTopics>;
  private readonly groupId: string;
  private readonly redis: Redis;
  private readonly pipeline: InferencePipeline;
  private readonly quotas: QuotaReader;
  private readonly buckets: TokenBuckets;
  private consumer?: Consumer;
  private producer?: Producer;
  private lagTimer?: NodeJS.Timeout;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly authenticator: Authenticator,
    readonly metrics: StreamingMetrics,
  ) {
    this.topics = inferenceStreamTopics(config.streaming.topicPrefix);
    this.groupId = `${config.prefix}-router-streaming`;
    this.redis = createRedis(config.redisUrl, `${config.routerId}:streaming`);
    this.pipeline = new InferencePipeline({
      redis: this.redis,
      routesSubscriber: createRedis(config.redisUrl, `${config.routerId}:routes`),
      repliesSubscriber: createRedis(config.redisUrl, `${config.routerId}:replies`),
      prefix: config.prefix,
      replyTo: config.routerId,
      timeoutMs: config.streaming.inferTimeoutMs,
      watchShadowPools: false,
    });
    this.quotas = new QuotaReader(this.redis, createRedis(config.redisUrl, `${config.routerId}:quotas`), config.prefix, config.quotas);
    this.buckets = new TokenBuckets(this.redis, config.prefix, this.quotas.current);
  }

  async onModuleInit(): Promise<void> {
    await ensureTopics(this.kafka, [
      { topic: this.topics.requests, numPartitions: 6 },
      { topic: this.topics.responses, numPartitions: 6 },
      { topic: this.topics.dlq, numPartitions: 1 },
    ]);
    await this.quotas.start();
    await this.pipeline.start();
    this.producer = this.kafka.producer({
      transactionalId: `${this.groupId}-${this.config.routerId}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await this.producer.connect();
    // A short session: a crashed router's partitions move to a live one within seconds.
    this.consumer = this.kafka.consumer({ groupId: this.groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topics.requests, fromBeginning: true });
    await this.consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.onBatch(payload) });
    this.lagTimer = setInterval(() => void this.measureLag(), 5000);
    this.lagTimer.unref();
    this.logger.log({ requests: this.topics.requests, responses: this.topics.responses }, 'streaming bridge consuming');
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.lagTimer);
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    await this.pipeline.stop();
    await this.quotas.stop();
    await this.redis.quit().catch(() => undefined);
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale, pause, resolveOffset }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    const parsed = batch.messages.map((m) => parseStreamMessage({ ...m, partition: batch.partition }));
    const answered = await this.redis.mget(parsed.map((p) => this.answeredKey(p.requestId)));
    const outcomes = new Array<StreamOutcome>(parsed.length);
    const indexed = parsed.map((message, index) => ({ message, index }));
    let lastBeat = Date.now();
    await runKeyed(indexed, ({ message }) => (message.ok ? message.orderingKey : message.requestId), this.config.streaming.concurrency, async ({ message, index }) => {
      const source = `${batch.topic}/${batch.partition}/${batch.messages[index].offset}`;
      outcomes[index] = answered[index]
        ? { kind: 'duplicate', requestId: message.requestId }
        : await this.handle(message, batch.messages[index], source, pause);
      if (Date.now() - lastBeat > 1000) {
        lastBeat = Date.now();
        await heartbeat();
      }
    });
    // A rebalance took the partition away: its new owner replays the batch; commit nothing here.
    if (!isRunning() || isStale()) return;
    await this.commit(batch.topic, batch.partition, batch.lastOffset(), outcomes);
    // Committed with the transaction; resolving only moves this consumer's fetch position on.
    resolveOffset(batch.lastOffset());
    for (const outcome of outcomes) this.metrics.messages.inc({ outcome: outcome.kind === 'response' ? `status_${outcome.status}` : outcome.kind });
  }

  private async handle(
    message: ParsedStreamMessage,
    original: { key: Buffer | null; value: Buffer | null; headers?: Message['headers'] },
    source: string,
    pause: () => () => void,
  ): Promise<StreamOutcome> {
    const deadLetter = (reason: string): StreamOutcome => ({
      kind: 'dead-letter',
      requestId: message.requestId,
      reason,
      original: { key: original.key, value: original.value, headers: original.headers },
      source,
    });
    if (!message.ok) return deadLetter(message.reason);

    let principal: Principal;
    try {
      principal = await this.authenticator.authenticate(message.authorization);
    } catch (error) {
      return deadLetter(`unauthorized: ${(error as Error).message}`);
    }
    if (!hasScopes(principal, [SCOPES.infer])) return deadLetter(`unauthorized: requires scope ${SCOPES.infer}`);
    if (message.tenant && message.tenant !== principal.tenantId) return deadLetter('unauthorized: the tenant header does not match the token');

    // Sticky like REST and gRPC: the message key is the routing key, else the token's subject.
    const routingKey = original.key?.toString('utf8') || principal.subject;
    return this.infer(message, principal, routingKey, pause, deadLetter);
  }

  /**
   * The gateway's pipeline (placement in the tenant's region, the blue-green fallback, quotas,
   * decoding, dispatch), answered with a response message rather than an exception; without a
   * ready pool the request waits (placedOrWait) instead of failing at once.
   */
  private async infer(
    message: Ready,
    principal: Principal,
    routingKey: string,
    pause: () => () => void,
    deadLetter: (reason: string) => StreamOutcome,
  ): Promise<StreamOutcome> {
    const started = performance.now();
    const { request, requestId } = message;
    const outcome = await this.pipeline.infer(
      { principal, requestId, model: request.model_name, routingKey, decode: (signature) => decodeJsonInferRequest(request, signature) },
      request.model_version,
      { admit: this.admit, awaitReady: (missed, place) => this.placedOrWait(place, missed, pause) },
    );
    if (outcome.ok) {
      const body = encodeJsonInferResponse({
        modelName: request.model_name,
        modelVersion: String(outcome.reply.version),
        id: outcome.request.id,
        outputs: outcome.reply.outputs,
      });
      return this.answer(message, principal, 200, body, outcome, started);
    }
    const { error } = outcome;
    if (error instanceof UnroutableError) return deadLetter(`unroutable: ${error.message}`);
    const status = statusOf(error);
    if (status === undefined) throw error;
    const retryAfter = error instanceof QuotaError ? error.retryAfterSeconds : undefined;
    return this.answer(message, principal, status, { id: request.id, model_name: request.model_name, error: error.message }, outcome, started, retryAfter);
  }

  /** The response message, with its audit event (committed with it) and its latency observed. */
  private answer(
    message: Ready,
    principal: Principal,
    status: number,
    body: object,
    facts: InferenceFacts,
    started: number,
    retryAfterSeconds?: number,
  ): StreamOutcome {
    const latencyMs = performance.now() - started;
    this.metrics.latency.observe(latencyMs / 1000);
    const { requestId, request } = message;
    const audit = auditEventOf({
      requestId,
      tenantId: principal.tenantId,
      subject: principal.subject,
      residency: principal.residency,
      model: request.model_name,
      version: facts.version,
      pool: facts.pool,
      placement: facts.placement,
      protocol: 'kafka',
      status,
      error: status === 200 ? null : (body as { error?: string }).error ?? null,
      latencyMs,
    });
    const topic = message.replyTopic ?? this.topics.responses;
    return { kind: 'response', requestId, topic, status, body, traceparent: message.traceparent, retryAfterSeconds, audit };
  }

  /** The gateway's buckets, without its per-gateway concurrency limit: over its rate, a request is answered 429. */
  private readonly admit = async (tenantId: string, model: string): Promise<() => void> => {
    const waitMs = await this.buckets.take(tenantId, model);
    if (waitMs > 0) {
      const retryAfter = Math.ceil(waitMs / 1000);
      throw new QuotaError(429, `rate limit exceeded for tenant '${tenantId}' on model '${model}'; retry after ${retryAfter} s`, retryAfter);
    }
    return NO_SLOT;
  };

  /**
   * Back-pressure: while no worker of the candidate pools can take the request, consumption is
   * paused (no new fetches) and the request waits, placed again as the pools refresh, rather than
   * failing a burst that a restarting pool would have served a moment later.
   */
  private async placedOrWait(place: () => Placement, missed: Placement, pause: () => () => void): Promise<Placement> {
    const resume = pause();
    this.metrics.paused.set(1);
    this.logger.warn({ pools: missed.candidates, reason: missed.explanation }, 'no ready worker: pausing consumption');
    try {
      const deadline = Date.now() + READY_WAIT_MS;
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        await this.pipeline.pools.refresh(missed.candidates);
        const placed = place();
        if (placed.pool !== null) return placed;
      }
      return missed;
    } finally {
      this.metrics.paused.set(0);
      resume();
    }
  }

  private async commit(topic: string, partition: number, lastOffset: string, outcomes: StreamOutcome[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    const add = (t: string, m: Message) => (byTopic.get(t) ?? byTopic.set(t, []).get(t)!).push(m);
    for (const outcome of outcomes) {
      if (outcome.kind === 'response') {
        add(outcome.topic, responseMessage(outcome));
        if (outcome.audit) {
          const audit = AuditEventSchema.parse(outcome.audit);
          add(auditTopic(this.config.prefix), { key: audit.requestId, value: JSON.stringify(audit), headers: { tenant: audit.tenantId } });
        }
      } else if (outcome.kind === 'dead-letter') {
        add(this.topics.dlq, deadLetterMessage(outcome));
      }
    }
    const transaction = await this.producer!.transaction();
    try {
      if (byTopic.size > 0) await transaction.sendBatch({ topicMessages: [...byTopic].map(([t, messages]) => ({ topic: t, messages })) });
      await transaction.sendOffsets({
        consumerGroupId: this.groupId,
        topics: [{ topic, partitions: [{ partition, offset: (BigInt(lastOffset) + 1n).toString() }] }],
      });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
    this.metrics.batches.inc();
    const answered = outcomes.filter((o) => o.kind !== 'duplicate');
    if (answered.length > 0) {
      const pipeline = this.redis.pipeline();
      for (const o of answered) pipeline.set(this.answeredKey(o.requestId), '1', 'EX', ANSWERED_TTL_SECONDS);
      await pipeline.exec();
    }
  }

  private answeredKey(requestId: string): string {
    return `${this.config.prefix}:stream:answered:${requestId}`;
  }

  private async measureLag(): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const [committed] = await admin.fetchOffsets({ groupId: this.groupId, topics: [this.topics.requests] });
      const ends = await admin.fetchTopicOffsets(this.topics.requests);
      for (const end of ends) {
        const done = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
        const lag = Number(end.high) - Math.max(Number(done), Number(end.low));
        this.metrics.lag.set({ partition: String(end.partition) }, Math.max(0, lag));
      }
    } catch (error) {
      this.logger.warn(`lag measurement failed: ${(error as Error).message}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
