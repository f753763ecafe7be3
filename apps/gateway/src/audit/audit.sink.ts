import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { ZodError } from 'zod';
import { AuditEventSchema, auditTopic, type AuditEvent } from '@falaj/contracts';
import { EventPublisher, KAFKA_PRODUCER } from '@falaj/messaging';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';

const FLUSH_EVERY_MS = 50;
const MAX_BATCH = 500;
/** Beyond this many unsent events (Kafka away), the oldest are dropped and counted. */
const MAX_BUFFERED = 50_000;

/**
 * Audit events leave the request path at once: they are buffered and sent to Kafka in batches
 * every few milliseconds, so an inference never waits on the audit log.
 */
@Injectable()
export class AuditSink implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AuditSink.name);
  private readonly publisher: EventPublisher<AuditEvent>;
  private buffer: AuditEvent[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private dropped = 0;

  constructor(@Inject(KAFKA_PRODUCER) producer: Producer, @Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.publisher = new EventPublisher(producer, auditTopic(config.prefix), AuditEventSchema);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }

  record(event: AuditEvent): void {
    this.buffer.push(event);
    if (this.buffer.length > MAX_BUFFERED) {
      this.buffer.shift();
      if (++this.dropped % 1000 === 1) this.logger.error({ dropped: this.dropped }, 'audit buffer full: dropping oldest events');
    }
  }

  private publishable(event: AuditEvent): boolean {
    const parsed = AuditEventSchema.safeParse(event);
    if (!parsed.success) this.logger.error({ requestId: event.requestId, issues: parsed.error.issues.slice(0, 3) }, 'dropping an audit event the schema refuses');
    return parsed.success;
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.buffer.length === 0) return;
    const batch = this.buffer.splice(0, MAX_BATCH);
    this.flushing = this.publisher
      .publishMany(batch.map((value) => ({ key: value.requestId, value, headers: { tenant: value.tenantId } })))
      .catch((error: Error) => {
        // An event the schema refuses would fail every retry of its batch: drop it alone, loudly.
        const retry = error instanceof ZodError ? batch.filter((event) => this.publishable(event)) : batch;
        // Put them back in front: they go with the next flush once Kafka answers again.
        this.buffer.unshift(...retry);
        this.logger.warn(`audit flush failed, will retry: ${error.message}`);
      })
      .finally(() => (this.flushing = undefined));
    await this.flushing;
  }
}
