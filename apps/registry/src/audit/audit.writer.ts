import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Kafka, Producer } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditEventSchema, ReceivedAuditEventSchema, auditTopic, type AuditEvent, type ReceivedAuditEvent } from '@falaj/contracts';
import { PayloadKeys } from '@falaj/dispatch';
import { EventConsumer, KAFKA, KAFKA_PRODUCER, RecordRejectedError, consumerReadiness, type ConsumedEvent, type ConsumerState } from '@falaj/messaging';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { AuditPartitions } from './audit-partitions';
import { insertPayloadRows } from './payload-log.rows';

const COLUMNS = [
  'event_id', 'request_id', 'residency_region', 'tenant_id', 'subject', 'model', 'version', 'pool',
  'protocol', 'status', 'error', 'latency_ms', 'served_region', 'placement', 'occurred_at',
] as const;
/** Rows per INSERT: 15 parameters each stays far below Postgres' 65,535 per statement. */
const ROWS_PER_INSERT = 1000;
/** Readiness turns not-ready when one batch has been unsettled (retried, or hanging) this long. */
export const AUDIT_STUCK_AFTER_MS = 60_000;

/**
 * Postgres refused the data itself: class 22 (data exception: a NUL, a value out of range) or
 * 23 (integrity constraint). Retrying the same rows can never succeed; anything else (refused
 * connections, timeouts, a database shutting down) may, and is retried.
 */
export function isRecordLevel(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

/**
 * Drains audit events from Kafka into the partitioned `audit_log`. Kafka holds them while
 * Postgres is away; delivery is at-least-once, so inserts ignore an event id already written
 * (never a request id: two calls may share one, and each gets its row). A batch Postgres refuses
 * for its data is split by the consumer until the refused event is alone; that one goes to
 * `<audit topic>.quarantine` with the reason, and the rest are written.
 */
@Injectable()
export class AuditWriter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AuditWriter.name);
  private readonly consumer: EventConsumer<ReceivedAuditEvent>;
  private readonly partitions = new Set<string>();
  private readonly topic: string;
  private readonly payloadKeys: PayloadKeys;
  private readonly layout: AuditPartitions;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(KAFKA_PRODUCER) producer: Producer,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
    @InjectDataSource() private readonly db: DataSource,
  ) {
    this.topic = auditTopic(config.prefix);
    this.payloadKeys = new PayloadKeys(config.payloadKey);
    this.layout = new AuditPartitions(db, (work) => db.transaction((tx) => work(tx)));
    this.consumer = new EventConsumer({
      kafka,
      groupId: `${config.prefix}-registry-audit-writer`,
      topic: this.topic,
      schema: ReceivedAuditEventSchema,
      fromBeginning: true,
      quarantine: { producer },
      handle: (events) => this.write(events),
    });
  }

  consumerState(): ConsumerState {
    return this.consumer.state();
  }

  /** For `/health/ready`: the consumer's state; throws (with it) when stuck or stopped. */
  readiness(): Record<string, unknown> {
    return consumerReadiness(this.consumer.state(), AUDIT_STUCK_AFTER_MS);
  }

  async onModuleInit(): Promise<void> {
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }

  /** Writes the events in one transaction, or none of them; RecordRejectedError when Postgres refuses their data. */
  async write(events: ConsumedEvent<ReceivedAuditEvent>[]): Promise<void> {
    // Outside the try: a partition not made is the database's trouble, retried, never the records'.
    for (const region of new Set(events.map((e) => e.value.residencyRegion))) await this.ensurePartition(region);
    try {
      await this.db.transaction(async (tx) => {
        for (let i = 0; i < events.length; i += ROWS_PER_INSERT) await this.insert(tx, events.slice(i, i + ROWS_PER_INSERT));
      });
    } catch (error) {
      if (!isRecordLevel(error)) throw error;
      throw new RecordRejectedError(`postgres ${(error as { code: string }).code}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Job rows' events, written by the batch runner in the transaction that answers the rows, so
   * a row has its answer and its audit row or neither (see BatchJobsService.applyResults). The
   * caller has made the events' partitions ready first (preparePartitions), outside its transaction.
   */
  async insertWithin(tx: EntityManager, events: AuditEvent[]): Promise<void> {
    const parsed = events.map((event) => AuditEventSchema.parse(event));
    for (let i = 0; i < parsed.length; i += ROWS_PER_INSERT) await this.insertRows(tx, parsed.slice(i, i + ROWS_PER_INSERT));
  }

  async preparePartitions(regions: Iterable<string>): Promise<void> {
    for (const region of new Set(regions)) await this.ensurePartition(region);
  }

  private insert(tx: EntityManager, events: ConsumedEvent<ReceivedAuditEvent>[]): Promise<void> {
    return this.insertRows(tx, events.map(({ value, partition, offset }) => ({ ...value, eventId: value.eventId ?? this.legacyEventId(partition, offset) })));
  }

  private async insertRows(tx: EntityManager, events: AuditEvent[]): Promise<void> {
    await insertPayloadRows(tx, events, this.payloadKeys);
    const params: unknown[] = [];
    const rows = events.map((e) => {
      const values = [
        e.eventId, e.requestId, e.residencyRegion, e.tenantId, e.subject, e.model, e.version, e.pool,
        e.protocol, e.status, e.error, e.latencyMs, e.servedRegion, e.placement ?? null, e.occurredAt,
      ];
      const placeholders = values.map((v) => `$${params.push(v)}`);
      return `(${placeholders.join(', ')})`;
    });
    await tx.query(`INSERT INTO audit_log (${COLUMNS.join(', ')}) VALUES ${rows.join(', ')} ON CONFLICT DO NOTHING`, params);
  }

  /**
   * An id for an event published before events carried one: derived from its place on the topic
   * (a UUID of the hash of topic, partition and offset), so its redelivery gets the same id.
   */
  private legacyEventId(partition: number, offset: string): string {
    const hex = createHash('sha256').update(`${this.topic}/${partition}/${offset}`).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  /**
   * A region's rows get their own partitions the first time this process sees the region: the
   * audit's by month, with a default (see AuditPartitions; the retention pass makes later months
   * ahead), and the payload log's.
   */
  private async ensurePartition(region: string): Promise<void> {
    if (this.partitions.has(region)) return;
    if (!(await this.hasDefaultRows('audit_log', region))) {
      const table = await this.layout.ensureRegion(region);
      this.logger.log({ region, table }, 'audit partition ready');
    }
    if (!(await this.hasDefaultRows('payload_log', region))) await this.ensurePayloadPartition(region);
    this.partitions.add(region);
  }

  /** Rows of the region already in the parent's default partition: a partition for it cannot be made until they move. */
  private async hasDefaultRows(parent: 'audit_log' | 'payload_log', region: string): Promise<boolean> {
    return (await this.db.query(`SELECT 1 FROM ${parent}_default WHERE residency_region = $1 LIMIT 1`, [region])).length > 0;
  }

  private async ensurePayloadPartition(region: string): Promise<void> {
    // Regions are validated by the event schema's producer side; quote defensively all the same.
    const table = `payload_log_${region.replace(/[^a-z0-9_]/g, '_')}`;
    await this.db
      .query(`CREATE TABLE IF NOT EXISTS "${table}" PARTITION OF payload_log FOR VALUES IN ('${region.replace(/'/g, "''")}')`)
      .catch((error: { code?: string }) => {
        if (error.code !== '42P07') throw error; // created concurrently
      });
    this.logger.log({ region, table }, 'payload log partition ready');
  }
}
