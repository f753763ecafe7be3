import { Logger } from '@nestjs/common';
import type { Consumer, Kafka } from 'kafkajs';
import type { z } from 'zod';

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
  /** Handles a batch of valid events of one partition, in order. Throwing retries the batch. */
  handle(events: ConsumedEvent<T>[]): Promise<void>;
}

/**
 * Consumes one topic, validating every message. A message that does not parse is logged and
 * skipped rather than retried forever: one bad producer must not stall a partition.
 */
export class EventConsumer<T> {
  private readonly logger: Logger;
  private consumer?: Consumer;

  constructor(private readonly options: EventConsumerOptions<T>) {
    this.logger = new Logger(`consumer:${options.topic}`);
  }

  async start(): Promise<void> {
    const { kafka, groupId, topic, fromBeginning } = this.options;
    this.consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning });
    await this.consumer.run({
      autoCommit: this.options.commitOffsets ?? true,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const events: ConsumedEvent<T>[] = [];
        for (const message of batch.messages) {
          const event = this.parse(message.value, message.key, message.headers, batch.partition, message.offset);
          if (event) events.push(event);
        }
        if (events.length > 0) await this.options.handle(events);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  private parse(
    value: Buffer | null,
    key: Buffer | null,
    rawHeaders: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined,
    partition: number,
    offset: string,
  ): ConsumedEvent<T> | null {
    if (value === null) return null; // a tombstone: compaction's delete marker
    let json: unknown;
    try {
      json = JSON.parse(value.toString('utf8'));
    } catch {
      this.logger.warn({ partition, offset }, 'skipping a message that is not JSON');
      return null;
    }
    const parsed = this.options.schema.safeParse(json);
    if (!parsed.success) {
      this.logger.warn({ partition, offset, issues: parsed.error.issues.slice(0, 3) }, 'skipping an invalid message');
      return null;
    }
    const headers: Record<string, string> = {};
    for (const [name, raw] of Object.entries(rawHeaders ?? {})) {
      const first = Array.isArray(raw) ? raw[0] : raw;
      if (first !== undefined) headers[name] = first.toString();
    }
    return { key: key?.toString() ?? null, value: parsed.data, headers, partition, offset };
  }
}
