import { Logger } from '@nestjs/common';
import type { Batch, Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { z } from 'zod';
import { quarantineTopic } from '@falaj/contracts';
import { backoffMs, settleInOrder, type ItemClass } from './batch-settler';
import { quarantineMessage } from './quarantine.message';
import { RecordRejectedError } from './record-rejected.error';
import { CONSUMER_TIMINGS } from './kafka.factory';
import { ReplayProgress } from './replay-progress';

export interface ConsumedEvent<T> {
  key: string | null;
  value: T;
  headers: Record<string, string>;
  partition: number;
  offset: string;
}

export interface EventConsumerOptions<T> {
  kafka: Kafka;
  groupId: string;
  topic: string;
  schema: z.ZodType<T>;
  fromBeginning: boolean;
  /**
   * False for consumers that rebuild state from a compacted topic: with no committed offset,
   * every start replays the topic from the beginning (default true).
   */
  commitOffsets?: boolean;
  /**
   * Where records that cannot be taken go, with the reason: `quarantineTopic(topic)`, which must
   * exist (created with the app's topics). Without it such a record is logged and skipped.
   */
  quarantine?: { producer: Producer; /** Default `quarantineTopic(topic)`; several topics of one kind may share one. */ topic?: string };
  /** Backoff of a transient failure's retries (default 200 ms doubling to 10 s). */
  retry?: { initialMs: number; maxMs: number };
  /**
   * Handles consecutive valid events of one partition, in order, all or nothing (or
   * idempotently). Throwing RecordRejectedError says a record is at fault: the batch is split
   * to find it, it is quarantined and the rest handled. Any other error is transient: the rest of
   * the batch is retried with backoff, for as long as it takes (readiness reports it).
   */
  handle(events: ConsumedEvent<T>[]): Promise<void>;
  /** Read where the topic ends at start, for replayed() (an admin call at start). */
  trackReplay?: boolean;
  /** The partitions the group assigned to this consumer, each time it joins (a rebalance replays them when offsets are not committed). */
  onAssigned?(partitions: number[]): void;
  /**
   * A batch of `partition` is settled and it reached the high-water mark it was fetched with: the
   * consumer has read the partition to its end. A failure is retried with backoff, like `handle`.
   */
  onCaughtUp?(partition: number): Promise<void> | void;
}

/** What readiness shows of a consumer. Times are ISO strings, null when never. */
export interface ConsumerState {
  topic: string;
  groupId: string;
  running: boolean;
  /** When the last batch was settled (handled, quarantined or skipped). */
  lastBatchAt: string | null;
  /** Since when the batch in hand has been worked on; null between batches. */
  batchSince: string | null;
  /** Since when the batch in hand has been failing transiently; null when not retrying. */
  retryingSince: string | null;
  /** Failed attempts of the batch in hand. */
  retries: number;
  lastError: string | null;
  /** Records set aside on the quarantine topic since start. */
  quarantined: number;
  /** Records set aside without a quarantine topic (logged only), since start. */
  skipped: number;
}

interface Item<T> {
  message: KafkaMessage;
  class: ItemClass;
  event?: ConsumedEvent<T>;
}

const DEFAULT_RETRY = { initialMs: 200, maxMs: 10_000 };

/** Wraps an error that must leave eachBatch as it is (a rebalance seen by the heartbeat). */
class Abort extends Error {
  constructor(readonly original: unknown) {
    super('abort');
  }
}

/**
 * Consumes one topic, validating every message, and keeps each partition moving: a message that
 * does not parse, or a record the handler rejects, is quarantined with its reason (or logged and
 * skipped without a quarantine topic) rather than retried forever: one bad producer must not
 * stall a partition. Offsets are committed in order, only past what is settled.
 */
export class EventConsumer<T> {
  private readonly logger: Logger;
  private consumer?: Consumer;
  private stopping = false;
  private wake?: () => void;
  private progress?: ReplayProgress;
  private readonly status: Omit<ConsumerState, 'topic' | 'groupId'> = {
    running: false,
    lastBatchAt: null,
    batchSince: null,
    retryingSince: null,
    retries: 0,
    lastError: null,
    quarantined: 0,
    skipped: 0,
  };

  constructor(private readonly options: EventConsumerOptions<T>) {
    this.logger = new Logger(`consumer:${options.topic}`);
  }

  get quarantineTopic(): string {
    return this.options.quarantine?.topic ?? quarantineTopic(this.options.topic);
  }

  state(): ConsumerState {
    return { topic: this.options.topic, groupId: this.options.groupId, ...this.status };
  }

  async start(): Promise<void> {
    const { kafka, groupId, topic, fromBeginning } = this.options;
    this.stopping = false;
    if (this.options.trackReplay) this.progress = new ReplayProgress(await this.topicEnds());
    this.consumer = kafka.consumer({ groupId, ...CONSUMER_TIMINGS });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions = payload.memberAssignment[topic] ?? [];
      this.progress?.assigned(partitions);
      this.options.onAssigned?.(partitions);
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.status.lastError = payload.error.message;
      if (!payload.restart) this.status.running = false;
      this.logger.error({ error: payload.error.message, restart: payload.restart }, 'consumer crashed');
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning });
    await this.consumer.run({
      autoCommit: this.options.commitOffsets ?? true,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.settle(payload),
    });
    this.status.running = true;
  }

  /**
   * Resolves once the consumer has settled everything its assigned partitions held when it
   * started (a replay of a compacted topic is complete).
   */
  replayed(): Promise<void> {
    if (!this.progress) throw new Error('replayed() needs trackReplay and start()');
    return this.progress.done;
  }

  /** Partitions whose replay is not complete yet. */
  replaying(): number[] {
    return this.progress?.pending() ?? [];
  }

  /** Where each partition ends now, so that replayed() knows when the replay is done. */
  private async topicEnds() {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      return await admin.fetchTopicOffsets(this.options.topic);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.consumer?.disconnect();
    this.status.running = false;
  }

  /** One fetched batch of one partition, settled in order; transient failures retried here, with heartbeats. */
  private async settle(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const items = batch.messages.map((message) => this.item(message, batch.partition));
    if (items.length === 0) return;
    // The clock readiness reads: it runs while this batch is in hand, retried or hanging.
    this.status.batchSince = new Date().toISOString();
    try {
      if (!(await this.settleRetrying(payload, items))) return;
      this.status.lastBatchAt = new Date().toISOString();
      this.progress?.reached(payload.batch.partition, BigInt(payload.batch.lastOffset()) + 1n);
      if (this.options.onCaughtUp && payload.batch.offsetLag() === '0') await this.caughtUp(payload);
    } finally {
      Object.assign(this.status, { batchSince: null, retryingSince: null, retries: 0 });
    }
  }

  /** True once every item is settled; false when the consumer stops or loses the partition first. */
  private async settleRetrying(payload: EachBatchPayload, items: Item<T>[]): Promise<boolean> {
    const { batch } = payload;
    const gone = () => this.stopping || !payload.isRunning() || payload.isStale();
    const indexOf = new Map(items.map((item, index) => [item, index]));
    let next = 0;
    for (;;) {
      try {
        const report = await settleInOrder(items.slice(next), {
          classify: (item) => item.class,
          handle: (records) => this.options.handle(records.map((r) => r.event!)),
          quarantine: (item, error) => this.setAside(item, batch, error),
          settled: (item) => {
            payload.resolveOffset(item.message.offset);
            next = indexOf.get(item)! + 1;
          },
          between: async () => {
            try {
              await payload.heartbeat();
            } catch (error) {
              throw new Abort(error);
            }
          },
        });
        if (report.quarantined > 0) {
          this.logger.warn({ partition: batch.partition, records: items.length, quarantined: report.quarantined, handlerCalls: report.handlerCalls }, 'batch settled around rejected records');
        }
        return true;
      } catch (error) {
        if (error instanceof Abort) throw error.original; // a rebalance: kafkajs rejoins and fetches again
        if (gone()) return false; // the rest is fetched again, here or by the partition's next owner
        this.status.retries++;
        this.status.retryingSince ??= new Date().toISOString();
        this.status.lastError = (error as Error).message;
        const delay = backoffMs(this.status.retries, this.options.retry ?? DEFAULT_RETRY);
        this.logger.warn(
          { partition: batch.partition, offset: items[next]?.message.offset, attempt: this.status.retries, retryInMs: delay, error: (error as Error).message },
          'batch failed, will retry',
        );
        // What is resolved so far is committed when the batch ends or the group rebalances.
        await this.pause(delay, payload);
        if (gone()) return false;
      }
    }
  }

  /** Tells the owner the partition is read to its end, retrying its failures while the partition stays here. */
  private async caughtUp(payload: EachBatchPayload): Promise<void> {
    const { partition } = payload.batch;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.onCaughtUp!(partition);
        return;
      } catch (error) {
        const delay = backoffMs(attempt, this.options.retry ?? DEFAULT_RETRY);
        this.logger.warn({ partition, attempt, retryInMs: delay, error: (error as Error).message }, 'caught-up step failed, will retry');
        await this.pause(delay, payload);
        if (this.stopping || !payload.isRunning() || payload.isStale()) return;
      }
    }
  }

  /** Waits `ms`, heartbeating each second so the group keeps the partition here; `stop` cuts it short. */
  private async pause(ms: number, payload: EachBatchPayload): Promise<void> {
    const until = Date.now() + ms;
    while (!this.stopping && Date.now() < until) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(1_000, until - Date.now()));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      if (!this.stopping) await payload.heartbeat();
    }
  }

  private async setAside(item: Item<T>, batch: Batch, error: RecordRejectedError): Promise<void> {
    const kind = item.event ? 'rejected' : 'invalid';
    const where = { partition: batch.partition, offset: item.message.offset, kind, reason: error.reason };
    const producer = this.options.quarantine?.producer;
    if (!producer) {
      this.status.skipped++;
      this.logger.warn(where, 'skipping a record it cannot take');
      return;
    }
    const { topic, groupId } = this.options;
    await producer.send({
      topic: this.quarantineTopic,
      messages: [quarantineMessage(item.message, { topic, partition: batch.partition, offset: item.message.offset, groupId }, { kind, reason: error.reason })],
    });
    this.status.quarantined++;
    this.logger.warn({ ...where, quarantine: this.quarantineTopic }, 'record quarantined');
  }

  private item(message: KafkaMessage, partition: number): Item<T> {
    const { value, key, offset } = message;
    if (value === null) return { message, class: 'skip' }; // a tombstone: compaction's delete marker
    let json: unknown;
    try {
      json = JSON.parse(value.toString('utf8'));
    } catch (error) {
      return { message, class: new RecordRejectedError(`not JSON: ${(error as Error).message}`) };
    }
    const parsed = this.options.schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      return { message, class: new RecordRejectedError(`invalid: ${issues.join('; ')}`) };
    }
    return { message, class: 'record', event: { key: key?.toString() ?? null, value: parsed.data, headers: headersOf(message.headers), partition, offset } };
  }
}

function headersOf(raw: IHeaders | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) headers[name] = first.toString();
  }
  return headers;
}
