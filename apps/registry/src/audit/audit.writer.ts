import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { AuditEventSchema, auditTopic, type AuditEvent } from '@falaj/contracts';
import { EventConsumer, KAFKA, type ConsumedEvent } from '@falaj/messaging';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';

const COLUMNS = [
  'request_id', 'residency_region', 'tenant_id', 'subject', 'model', 'version', 'pool',
  'protocol', 'status', 'error', 'latency_ms', 'served_region', 'placement', 'occurred_at',
] as const;

/**
 * Drains audit events from Kafka into the partitioned `audit_log`. Kafka holds them while
 * Postgres is away; delivery is at-least-once, so inserts ignore a request id already written.
 */
@Injectable()
export class AuditWriter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AuditWriter.name);
  private readonly consumer: EventConsumer<AuditEvent>;
  private readonly partitions = new Set<string>();

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
    @InjectDataSource() private readonly db: DataSource,
  ) {
    this.consumer = new EventConsumer({
      kafka,
      groupId: `${config.prefix}-registry-audit-writer`,
      topic: auditTopic(config.prefix),
      schema: AuditEventSchema,
      fromBeginning: true,
      handle: (events) => this.write(events),
    });
  }

  async onModuleInit(): Promise<void> {
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }

  async write(events: ConsumedEvent<AuditEvent>[]): Promise<void> {
    for (const region of new Set(events.map((e) => e.value.residencyRegion))) await this.ensurePartition(region);
    const params: unknown[] = [];
    const rows = events.map(({ value: e }) => {
      const values = [
        e.requestId, e.residencyRegion, e.tenantId, e.subject, e.model, e.version, e.pool,
        e.protocol, e.status, e.error, e.latencyMs, e.servedRegion, e.placement ?? null, e.occurredAt,
      ];
      const placeholders = values.map((v) => `$${params.push(v)}`);
      return `(${placeholders.join(', ')})`;
    });
    await this.db.query(
      `INSERT INTO audit_log (${COLUMNS.join(', ')}) VALUES ${rows.join(', ')} ON CONFLICT DO NOTHING`,
      params,
    );
  }

  /** A region's rows get their own partition the first time the region is seen. */
  private async ensurePartition(region: string): Promise<void> {
    if (this.partitions.has(region)) return;
    // Regions are validated by the event schema's producer side; quote defensively all the same.
    const safe = region.replace(/[^a-z0-9_]/g, '_');
    const table = `audit_log_${safe}`;
    const hasDefaultRows = await this.db.query(`SELECT 1 FROM audit_log_default WHERE residency_region = $1 LIMIT 1`, [region]);
    if (hasDefaultRows.length === 0) {
      await this.db
        .query(`CREATE TABLE IF NOT EXISTS "${table}" PARTITION OF audit_log FOR VALUES IN ('${region.replace(/'/g, "''")}')`)
        .catch((error: { code?: string }) => {
          if (error.code !== '42P07') throw error; // created concurrently
        });
      this.logger.log({ region, table }, 'audit partition ready');
    }
    this.partitions.add(region);
  }
}
