import type { Producer } from 'kafkajs';
import type { z } from 'zod';

/**
 * Publishes one kind of event on one topic, validating every value before it leaves
 * (STYLE.md: validate at every edge, both directions).
 */
export class EventPublisher<T> {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly schema: z.ZodType<T>,
  ) {}

  async publish(key: string, value: T, headers: Record<string, string> = {}): Promise<void> {
    await this.publishMany([{ key, value, headers }]);
  }

  async publishMany(events: { key: string; value: T; headers?: Record<string, string> }[]): Promise<void> {
    if (events.length === 0) return;
    const messages = events.map(({ key, value, headers }) => ({
      key,
      value: JSON.stringify(this.schema.parse(value)),
      headers,
    }));
    await this.producer.send({ topic: this.topic, messages });
  }
}
