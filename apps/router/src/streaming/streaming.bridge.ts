import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Admin, Batch, Consumer, EachBatchPayload, Kafka, Message, Producer } from 'kafkajs';
import { Authenticator, SCOPES, hasScopes, type Principal } from '@falaj/auth';
import { AuditEventSchema, answeredStreamRequestKey, errorCodeOf, retryAfterHeader, inferenceStreamTopics, tenantReplyTopicNamespace, type AuditEvent } from '@falaj/contracts';
import { InferencePipeline, PayloadRecorder, inferenceAuditEvent, statusOf, type InferenceFacts } from '@falaj/dispatch';
import { countLimitRefusal } from '@falaj/http';
import { CONSUMER_TIMINGS, KAFKA, createRedis, ensureTopics } from '@falaj/messaging';
import { InferenceMetrics } from '@falaj/observability';
import { decodeJsonInferRequest, encodeJsonInferResponse } from '@falaj/oip';
import { Admission, QuotaReader, TokenBuckets, UnroutableError, type Placement } from '@falaj/routing';
import { SpanKind, endSpan, recordedTraceId, tracing } from '@falaj/tracing';
import { ROUTER_CONFIG, type RouterConfig } from '../router.config';
import { runKeyed } from './keyed-runner';
import { SerialLane } from './serial-lane';
import { parseStreamMessage, type ParsedStreamMessage } from './stream-message.parser';
import { deadLetterMessage, responseMessage, type StreamOutcome } from './stream-outcome';
import { StreamingMetrics } from './streaming.metrics';
import { replyTopicOf, replyTopicRefusal, reservedTopics } from './reply-topic.policy';
import { ConsumerState, type ConsumerReport } from './consumer-state';
import { commitIsolating, isMessageFault, kafkaErrorType } from './isolating-commit';
import { TopicDirectory } from './topic-directory';

/** How long a request waits for its pool to have a ready worker before it is answered 503. */
const READY_WAIT_MS = 30_000;

type Ready = Extract<ParsedStreamMessage, { ok: true }>;
type Original = { key: Buffer | null; value: Buffer | null; headers?: Message['headers'] };

/** A consumed message after the checks that need no model: refused (a dead letter), or authenticated and let through. */
type Checked = { admitted: false; message: ParsedStreamMessage; outcome: StreamOutcome } | { admitted: true; message: Ready; principal: Principal; original: Original; answeredKey: string };

/**
 * Streaming inference over Kafka: consumes `<prefix>.inference.requests`, runs each request on
 * its model's pool like the gateway does, and answers on the tenant's default reply topic
 * `<prefix>.replies.<tenant>` (or the request's `reply-topic`, in the tenant's namespace): there
 * is no shared answers topic, and only the tenant may read its own (tenantKafkaAclPolicy). Each consumed batch is answered in one Kafka transaction together
 * with its offsets, its audit events and its dead letters: a crash before the commit replays the
 * batch and its aborted answers stay invisible to read_committed consumers; after the commit, the
 * answered request ids are remembered in Redis, per tenant, so a request published twice is
 * answered once. Only an authenticated request that got a response counts as answered: a
 * dead letter (a token-less message, say) never burns the id of another's request.
 *
 * No single message stops it: a reply topic must exist (topics are never created on demand) or
 * the request is a dead letter; a batch the broker refuses for its messages is committed in
 * pieces down to the one at fault, which is dead-lettered alone (commitIsolating); a consumer
 * that crashes for good is restarted with a fresh producer, with backoff, and the router is not
 * ready while it is down (ConsumerState).
 */
@Injectable()
export class StreamingBridge implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(StreamingBridge.name);
  private readonly topics: ReturnType<typeof inferenceStreamTopics>;
  private readonly reservedTopics: ReadonlySet<string>;
  private readonly groupId: string;
  private readonly redis: Redis;
  private readonly pipeline: InferencePipeline;
  private readonly quotas: QuotaReader;
  private readonly buckets: TokenBuckets;
  private readonly admission: Admission;
  private readonly payloads: PayloadRecorder;
  private consumer?: Consumer;
  private producer?: Producer;
  private admin?: Admin;
  private readonly topicDirectory: TopicDirectory;
  private readonly state = new ConsumerState();
  /** Every use of the transactional producer, one at a time: no two operations race inside one transaction. */
  private readonly transactions = new SerialLane();
  private stopping = false;
  private restartTimer?: NodeJS.Timeout;
  private lagTimer?: NodeJS.Timeout;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly authenticator: Authenticator,
    readonly metrics: StreamingMetrics,
    private readonly calls: InferenceMetrics,
  ) {
    this.topics = inferenceStreamTopics(config.streaming.topicPrefix);
    this.reservedTopics = reservedTopics(config.prefix, config.streaming.topicPrefix);
    this.groupId = `${config.prefix}-router-streaming`;
    this.redis = createRedis(config.redis, `${config.routerId}:streaming`);
    this.pipeline = new InferencePipeline({
      redis: this.redis,
      routesSubscriber: createRedis(config.redis, `${config.routerId}:routes`),
      repliesReader: createRedis(config.redis, `${config.routerId}:replies`),
      prefix: config.prefix,
      replyTo: config.routerId,
      timeoutMs: config.streaming.inferTimeoutMs,
      watchShadowPools: false,
      streams: { limits: config.poolStreams, onStreamFull: (limit) => metrics.refused.inc({ limit: `stream_${limit}` }) },
    });
    this.quotas = new QuotaReader(this.redis, createRedis(config.redis, `${config.routerId}:quotas`), config.prefix, config.quotas);
    this.buckets = new TokenBuckets(this.redis, config.prefix, this.quotas.current);
    // The shared buckets, without the gateway's per-instance in-flight limit: the bridge's own concurrency bounds it.
    this.admission = new Admission({ take: (tenantId, model) => this.buckets.take(tenantId, model) });
    this.topicDirectory = new TopicDirectory(() => this.admin!.listTopics());
    this.payloads = new PayloadRecorder(this.redis, createRedis(config.redis, `${config.routerId}:payload-policies`), config.prefix, config.payloadKey);
  }

  async onModuleInit(): Promise<void> {
    await ensureTopics(this.kafka, [
      { topic: this.topics.requests, numPartitions: 6 },
      { topic: this.topics.dlq, numPartitions: 1 },
    ]);
    await this.quotas.start();
    await this.payloads.start();
    await this.pipeline.start();
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await this.startConsuming();
    this.lagTimer = setInterval(() => void this.measureLag(), 5000);
    this.lagTimer.unref();
    this.logger.log({ requests: this.topics.requests, replies: tenantReplyTopicNamespace(this.config.streaming.topicPrefix, '<tenant>') }, 'streaming bridge consuming');
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.state.stopped();
    clearTimeout(this.restartTimer);
    clearInterval(this.lagTimer);
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    await this.admin?.disconnect().catch(() => undefined);
    await this.pipeline.stop();
    await this.payloads.stop();
    await this.quotas.stop();
    await this.redis.quit().catch(() => undefined);
  }

  /** The consumer's state for the router's readiness: throws while it is not consuming. */
  readiness(): ConsumerReport & Record<string, unknown> {
    return this.state.readiness();
  }

  /**
   * A transactional producer (never creating topics: a reply topic must exist) and a consumer
   * whose crashes are watched. Made anew on every restart: a producer fenced by another with the
   * same transactional id (or failed otherwise) cannot be used again.
   */
  private async startConsuming(): Promise<void> {
    await this.transactions.run(async () => {
      this.producer = this.createProducer();
      await this.producer.connect();
    });
    const consumer = this.kafka.consumer({ groupId: this.groupId, ...CONSUMER_TIMINGS, allowAutoTopicCreation: false });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => this.state.joined());
    consumer.on(consumer.events.CRASH, ({ payload }) => this.onCrash(consumer, payload.error, payload.restart));
    await consumer.connect();
    await consumer.subscribe({ topic: this.topics.requests, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.onBatch(payload) });
  }

  private createProducer(): Producer {
    return this.kafka.producer({
      transactionalId: `${this.groupId}-${this.config.routerId}`,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
  }

  /**
   * kafkajs keeps the sequence numbers of a produce the broker refused, so the same producer
   * fails every later one (OUT_OF_ORDER_SEQUENCE_NUMBER); a new one of the same transactional id
   * (a new epoch, which fences the old) starts clean.
   */
  private async renewProducer(): Promise<void> {
    const old = this.producer;
    const fresh = this.createProducer();
    await fresh.connect();
    this.producer = fresh;
    await old?.disconnect().catch(() => undefined);
  }

  /**
   * kafkajs restarts a consumer on its own only after a retriable error; after any other (a
   * fenced producer, say) it stays stopped for good. Either way the router is not ready until
   * the group is joined again; a consumer left stopped is restarted here, with backoff.
   */
  private onCrash(consumer: Consumer, error: Error, restart: boolean): void {
    if (consumer !== this.consumer || this.stopping) return;
    const waitMs = this.state.crashed(error);
    this.metrics.consumerRestarts.inc({ by: restart ? 'kafkajs' : 'bridge' });
    this.logger.error({ error: error.message, type: kafkaErrorType(error), restartInMs: restart ? undefined : waitMs }, 'streaming consumer crashed');
    if (!restart) this.scheduleRestart(waitMs);
  }

  private scheduleRestart(waitMs: number): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => void this.restart(), waitMs);
  }

  private async restart(): Promise<void> {
    if (this.stopping) return;
    const { consumer } = this;
    this.consumer = undefined;
    await consumer?.disconnect().catch(() => undefined);
    // After any transaction of the old consumer still in the lane.
    await this.transactions.run(async () => {
      const { producer } = this;
      this.producer = undefined;
      await producer?.disconnect().catch(() => undefined);
    });
    try {
      await this.startConsuming();
      this.logger.log({ consecutiveFailures: this.state.report().consecutiveFailures }, 'streaming consumer restarted');
    } catch (error) {
      if (this.stopping) return;
      const waitMs = this.state.crashed(error as Error);
      this.logger.error({ error: (error as Error).message, restartInMs: waitMs }, 'streaming consumer restart failed');
      this.scheduleRestart(waitMs);
    }
  }

  // kafkajs hands these as closures over the batch (no `this`), though its types declare them as methods.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  private async onBatch({ batch, heartbeat, isRunning, isStale, pause, resolveOffset }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    // Authenticated first: the answered-set is per tenant, and the tenant is known only then.
    const checked = await Promise.all(batch.messages.map((m) => this.check(parseStreamMessage({ ...m, partition: batch.partition }), m, `${batch.topic}/${batch.partition}/${m.offset}`)));
    const keys = checked.flatMap((c) => (c.admitted ? [c.answeredKey] : []));
    const answered = new Set<string>();
    if (keys.length > 0) (await this.redis.mget(keys)).forEach((found, i) => found !== null && answered.add(keys[i]));
    // Within the batch, a later copy of a tenant's request id waits for the earlier one's outcome:
    // answered once if that one got a response, served if it did not (a dead letter).
    const claims = new Map<string, Promise<boolean>>();
    const outcomes = new Array<StreamOutcome>(checked.length);
    const indexed = checked.map((item, index) => ({ item, index }));
    let lastBeat = Date.now();
    await runKeyed(
      indexed,
      ({ item: { message } }) => (message.ok ? message.orderingKey : message.requestId),
      this.config.streaming.concurrency,
      async ({ item, index }) => {
        if (!item.admitted) outcomes[index] = item.outcome;
        else {
          const earlier = claims.get(item.answeredKey);
          let settle!: (responded: boolean) => void;
          claims.set(item.answeredKey, new Promise<boolean>((resolve) => (settle = resolve)));
          try {
            const duplicate = answered.has(item.answeredKey) || (earlier !== undefined && (await earlier));
            outcomes[index] = duplicate
              ? { kind: 'duplicate', requestId: item.message.requestId }
              : await this.handle(item, `${batch.topic}/${batch.partition}/${batch.messages[index].offset}`, pause);
            settle(duplicate || outcomes[index].kind === 'response');
          } catch (error) {
            settle(false);
            throw error;
          }
        }
        if (Date.now() - lastBeat > 1000) {
          lastBeat = Date.now();
          await heartbeat();
        }
      },
    );
    // A rebalance took the partition away: its new owner replays the batch; commit nothing here.
    if (!isRunning() || isStale()) return;
    let delivered: StreamOutcome[];
    try {
      delivered = await this.deliver(batch, outcomes, () => !isRunning() || isStale());
    } catch (error) {
      if (error instanceof PartitionLostError) return;
      throw error;
    }
    // Committed with the transaction; resolving only moves this consumer's fetch position on.
    resolveOffset(batch.lastOffset());
    for (const outcome of delivered) this.metrics.messages.inc({ outcome: outcome.kind === 'response' ? `status_${outcome.status}` : outcome.kind });
  }

  /**
   * The batch's outcomes in one transaction with its offsets; when the broker refuses it for its
   * messages (an answer over the topic's message size, a reply topic deleted meanwhile), in
   * pieces down to the outcome at fault, which becomes a dead letter saying why.
   */
  private deliver(batch: Batch, outcomes: StreamOutcome[], lost: () => boolean): Promise<StreamOutcome[]> {
    const source = (index: number) => `${batch.topic}/${batch.partition}/${batch.messages[index].offset}`;
    return commitIsolating(outcomes, {
      // Each piece is one transaction, begun, filled and ended inside the lane, on the producer of
      // that moment (a restart may have replaced it while the batch waited).
      commit: (_from, to, pieces) =>
        this.transactions.run(async () => {
          // The partition moved while this batch waited: its new owner answers it; nothing is committed here.
          if (lost()) throw new PartitionLostError(batch.partition);
          if (!this.producer) throw new Error('the streaming producer is being replaced');
          try {
            await this.commit(this.producer, batch.topic, batch.partition, batch.messages[to - 1].offset, pieces);
          } catch (error) {
            if (isMessageFault(error)) await this.renewProducer();
            throw error;
          }
        }),
      isolate: (outcome, index, error) => {
        if (outcome.kind !== 'response') return null;
        if (kafkaErrorType(error) === 'UNKNOWN_TOPIC_OR_PARTITION') this.topicDirectory.forget(outcome.topic);
        this.logger.warn({ requestId: outcome.requestId, topic: outcome.topic, error: error.message }, 'answer refused by the broker: dead-lettered alone');
        const m = batch.messages[index];
        const reason = `undeliverable: the answer to '${outcome.topic.slice(0, 100)}' was refused by the broker: ${error.message}`;
        // The call happened (the model may have run): its audit event stays, saying the answer never left.
        const audit = outcome.audit && { ...outcome.audit, error: deadLetteredError(reason) };
        return this.deadLetter(outcome.requestId, m, source(index), reason, audit);
      },
      isFault: isMessageFault,
    });
  }

  private deadLetter(requestId: string, original: Original, source: string, reason: string, audit?: AuditEvent): Extract<StreamOutcome, { kind: 'dead-letter' }> {
    const letter = { kind: 'dead-letter' as const, requestId, reason, original: { key: original.key, value: original.value, headers: original.headers }, source };
    return audit ? { ...letter, audit } : letter;
  }

  /** A dead letter of an authenticated call: audited, its status and error saying why it was set aside. */
  private auditedDeadLetter(message: Ready, principal: Principal, original: Original, source: string, status: number, reason: string, facts?: InferenceFacts): StreamOutcome {
    const audit = this.auditOf(message, principal, status, deadLetteredError(reason), facts ?? { version: null, pool: null, placement: null }, 0);
    return this.deadLetter(message.requestId, original, source, reason, audit);
  }

  /**
   * What can be decided before inference: the message decodes, its credential (a token or an API
   * key) authenticates with the infer scope, its tenant header matches, and its reply topic is in
   * the tenant's namespace. Anything else is a dead letter, and never marks its id answered.
   */
  private async check(message: ParsedStreamMessage, original: Original, source: string): Promise<Checked> {
    const refuse = (reason: string): Checked => ({ admitted: false, message, outcome: this.deadLetter(message.requestId, original, source, reason) });
    if (!message.ok) return refuse(message.reason);
    let principal: Principal;
    try {
      principal = await this.authenticator.authenticate(message.authorization);
    } catch (error) {
      return refuse(`unauthorized: ${(error as Error).message}`);
    }
    if (!hasScopes(principal, [SCOPES.infer])) return refuse(`unauthorized: requires scope ${SCOPES.infer}`);
    if (message.tenant && message.tenant !== principal.tenantId) return refuse('unauthorized: the tenant header does not match the token');
    // From here the tenant is known: a refusal is the tenant's call, and is audited.
    const refuseAudited = (status: number, reason: string): Checked => ({
      admitted: false,
      message,
      outcome: this.auditedDeadLetter(message, principal, original, source, status, reason),
    });
    if (message.replyTopic !== undefined) {
      const refusal = replyTopicRefusal(message.replyTopic, principal.tenantId, this.config.streaming.topicPrefix, this.reservedTopics);
      if (refusal !== null) return refuseAudited(403, refusal);
    }
    // Checked before the model runs: its answer could go nowhere, and would fail the batch's transaction.
    const replyTopic = this.replyTopicOf(message, principal);
    if (!(await this.topicDirectory.exists(replyTopic))) {
      return refuseAudited(
        400,
        message.replyTopic !== undefined
          ? `undeliverable: reply-topic '${replyTopic.slice(0, 100)}' does not exist (topics are not created on demand; create it first)`
          : `undeliverable: the tenant's reply topic '${replyTopic.slice(0, 100)}' does not exist (it is made when the tenant is; an operator can make it again)`,
      );
    }
    return { admitted: true, message, principal, original, answeredKey: this.answeredKey(principal.tenantId, message.requestId) };
  }

  private handle(item: Extract<Checked, { admitted: true }>, source: string, pause: () => () => void): Promise<StreamOutcome> {
    const { message, principal, original } = item;
    // Sticky like REST and gRPC: the message key is the routing key, else the token's subject.
    const routingKey = original.key?.toString('utf8') || principal.subject;
    return this.infer(message, principal, routingKey, pause, (reason, facts) => this.auditedDeadLetter(message, principal, original, source, 404, reason, facts));
  }

  /**
   * The gateway's pipeline (placement in the tenant's region, the blue-green fallback, quotas,
   * decoding, dispatch), answered with a response message rather than an exception; without a
   * ready pool the request waits (placedOrWait) instead of failing at once.
   */
  private async infer(message: Ready, principal: Principal, routingKey: string, pause: () => () => void, deadLetter: (reason: string, facts: InferenceFacts) => StreamOutcome): Promise<StreamOutcome> {
    const started = performance.now();
    const { request, requestId } = message;
    // The bridge's edge span (CONSUMER, child of the message's `traceparent` header); the
    // response carries the caller's trace context back in the same header.
    const tracer = tracing();
    const span = tracer.enabled
      ? tracer.startTrace('kafka infer', message.traceparent, {
          kind: SpanKind.CONSUMER,
          attributes: { 'messaging.system': 'kafka', 'falaj.request_id': requestId, 'falaj.model': request.model_name },
        })
      : undefined;
    const outcome = await this.pipeline.infer(
      {
        principal,
        requestId,
        model: request.model_name,
        routingKey,
        decode: (signature) => decodeJsonInferRequest(request, signature, undefined, this.config.tensorLimits),
        trace: span ?? message.traceparent,
      },
      request.model_version,
      { admit: this.admission.admit, awaitReady: (missed, place) => this.placedOrWait(place, missed, pause) },
    );
    endSpan(span, outcome.ok ? undefined : outcome.error);
    if (outcome.ok) {
      const body = encodeJsonInferResponse({
        modelName: request.model_name,
        modelVersion: String(outcome.reply.version),
        id: outcome.request.id,
        outputs: outcome.reply.outputs,
      });
      const answered = this.answer(message, principal, 200, body, outcome, started, undefined, recordedTraceId(span));
      // The payload record (its tenant's policy) rides on the audit event, committed with the answer.
      return answered.kind === 'response' && answered.audit ? { ...answered, audit: this.payloads.attach(answered.audit, outcome.request.inputs, outcome.reply.outputs) } : answered;
    }
    const { error } = outcome;
    if (error instanceof UnroutableError) return deadLetter(`unroutable: ${error.message}`, outcome);
    const status = statusOf(error);
    if (status === undefined) throw error;
    countLimitRefusal(error);
    const retryAfter = retryAfterHeader(error);
    return this.answer(
      message,
      principal,
      status,
      { id: request.id, model_name: request.model_name, error: error.message, code: errorCodeOf(error, status) },
      outcome,
      started,
      retryAfter,
      recordedTraceId(span),
    );
  }

  /** The response message, with its audit event (committed with it) and its latency observed. */
  private answer(message: Ready, principal: Principal, status: number, body: object, facts: InferenceFacts, started: number, retryAfter?: string, traceId?: string): StreamOutcome {
    const latencyMs = performance.now() - started;
    this.metrics.latency.observe(latencyMs / 1000);
    const { requestId } = message;
    const audit = this.auditOf(message, principal, status, status === 200 ? null : ((body as { error?: string }).error ?? null), facts, latencyMs, traceId);
    const topic = this.replyTopicOf(message, principal);
    return { kind: 'response', tenantId: principal.tenantId, requestId, topic, status, body, traceparent: message.traceparent, retryAfter, audit };
  }

  private replyTopicOf(message: Ready, principal: Principal): string {
    return replyTopicOf(message.replyTopic, principal.tenantId, this.config.streaming.topicPrefix);
  }

  private auditOf(message: Ready, principal: Principal, status: number, error: string | null, facts: InferenceFacts, latencyMs: number, traceId?: string): AuditEvent {
    const call = { principal, requestId: message.requestId, model: message.request.model_name, protocol: 'kafka' as const };
    const { tenantId } = principal;
    // Counted where the audit event is made, as on the gateway (a batch whose transaction is retried counts again).
    this.calls.observe(tenantId, call.model, this.pipeline.routes.lookup(tenantId, call.model) !== undefined, facts.version, facts.pool, 'kafka', status, latencyMs / 1000, traceId);
    return inferenceAuditEvent(call, { status, error }, facts, latencyMs);
  }

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

  private async commit(producer: Producer, topic: string, partition: number, lastOffset: string, outcomes: readonly StreamOutcome[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    const add = (t: string, m: Message) => (byTopic.get(t) ?? byTopic.set(t, []).get(t)!).push(m);
    for (const outcome of outcomes) {
      if (outcome.kind === 'response') {
        add(outcome.topic, responseMessage(outcome));
        if (outcome.audit) {
          const audit = AuditEventSchema.parse(outcome.audit);
          add(this.pipeline.regionStores.auditTopicOf(audit.residencyRegion), { key: audit.requestId, value: JSON.stringify(audit), headers: { tenant: audit.tenantId } });
        }
      } else if (outcome.kind === 'dead-letter') {
        add(this.topics.dlq, deadLetterMessage(outcome));
        if (outcome.audit) {
          const audit = AuditEventSchema.parse(outcome.audit);
          add(this.pipeline.regionStores.auditTopicOf(audit.residencyRegion), { key: audit.requestId, value: JSON.stringify(audit), headers: { tenant: audit.tenantId } });
        }
      }
    }
    const transaction = await producer.transaction();
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
    this.state.batchCommitted();
    // Only responses: a dead letter answered nobody, and its id stays free for the real request.
    const responded = outcomes.filter((o) => o.kind === 'response');
    if (responded.length > 0) {
      const pipeline = this.redis.pipeline();
      for (const o of responded) pipeline.set(this.answeredKey(o.tenantId, o.requestId), '1', 'EX', this.config.streaming.dedupeWindowSeconds);
      await pipeline.exec();
    }
  }

  /** Request ids are the clients' own: remembered per tenant, so one tenant's id never stops another's request. */
  private answeredKey(tenantId: string, requestId: string): string {
    return answeredStreamRequestKey(this.config.prefix, tenantId, requestId);
  }

  private async measureLag(): Promise<void> {
    const admin = this.admin;
    if (!admin) return;
    try {
      const [committed] = await admin.fetchOffsets({ groupId: this.groupId, topics: [this.topics.requests] });
      const ends = await admin.fetchTopicOffsets(this.topics.requests);
      for (const end of ends) {
        const done = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
        const lag = Number(end.high) - Math.max(Number(done), Number(end.low));
        this.metrics.lag.set({ partition: String(end.partition) }, Math.max(0, lag));
      }
    } catch (error) {
      this.logger.warn(`lag measurement failed: ${(error as Error).message}`);
    }
  }
}

/** A batch whose partition was reassigned before its transaction began: left to the partition's new owner. */
class PartitionLostError extends Error {
  constructor(partition: number) {
    super(`partition ${partition} was reassigned before its answers were committed`);
  }
}

/** The audit row's error for a call that was dead-lettered: what happened, then why. */
function deadLetteredError(reason: string): string {
  return `dead-lettered: ${reason}`;
}
