import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import { Gauge } from 'prom-client';
import { KAFKA } from '@falaj/messaging';
import { AppMetrics, partitionLag } from '@falaj/observability';
import { BatchQueues } from '../batch/batch-queues';
import { AuditWriter } from '../audit/audit.writer';

/** The BullMQ states a queue depth is reported for (`falaj_queue_jobs{state}`). */
const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'waiting-children', 'failed', 'completed'] as const;

/**
 * The registry's own metrics, read at scrape time: the batch queue's depth by state (BullMQ),
 * and the audit writer's consumer lag (the audit log's lag behind the gateways, in events).
 */
@Injectable()
export class RegistryMetrics implements OnApplicationShutdown {
  private readonly logger = new Logger(RegistryMetrics.name);
  private admin?: Admin;

  constructor(
    metrics: AppMetrics,
    queues: BatchQueues,
    @Inject(KAFKA) private readonly kafka: Kafka,
    audit: AuditWriter,
  ) {
    const registers = [metrics.registry];
    const queueName = queues.queue.name;
    new Gauge({
      name: 'falaj_queue_jobs',
      help: "BullMQ jobs of a queue by state (waiting, prioritized, delayed, active, waiting-children, failed, completed: completed and failed are kept bounded); the batch chunks' queue depth is waiting + prioritized",
      labelNames: ['queue', 'state'] as const,
      registers,
      async collect() {
        const counts = await queues.queue.getJobCounts(...QUEUE_STATES).catch(() => undefined);
        this.reset();
        if (!counts) return;
        for (const state of QUEUE_STATES) this.set({ queue: queueName, state }, counts[state] ?? 0);
      },
    });
    const lag = () => this.auditLag(audit.sources);
    new Gauge({
      name: 'falaj_audit_consumer_lag',
      help: "Audit events on an audit topic (the shared one, each region's own) not yet written to Postgres by the registry's audit writer, per partition (the gateways' own lag is falaj_gateway_audit_spool_events)",
      labelNames: ['topic', 'partition'] as const,
      registers,
      async collect() {
        const partitions = await lag();
        this.reset();
        for (const { topic, partition, lag: value } of partitions) this.set({ topic, partition: String(partition) }, value);
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }

  private async auditLag(sources: readonly { topic: string; groupId: string }[]): Promise<{ topic: string; partition: number; lag: number }[]> {
    try {
      if (!this.admin) {
        const admin = this.kafka.admin();
        await admin.connect();
        this.admin = admin;
      }
      const lags: { topic: string; partition: number; lag: number }[] = [];
      for (const { topic, groupId } of sources) {
        const [committed] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
        for (const end of await this.admin.fetchTopicOffsets(topic)) {
          const done = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
          lags.push({ topic, partition: end.partition, lag: partitionLag(done, end.low, end.high) });
        }
      }
      return lags;
    } catch (error) {
      // Kafka away: the gauge is left out for this scrape, not reported as zero.
      this.logger.warn(`audit lag not measured: ${(error as Error).message}`);
      return [];
    }
  }
}
