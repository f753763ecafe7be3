import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Kafka, Producer } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditEventSchema, ReceivedAuditEventSchema, auditTopic, quarantineTopic, regionAuditTopic, type AuditEvent, type ReceivedAuditEvent } from '@falaj/contracts';
import { PayloadKeys } from '@falaj/dispatch';
import { EventConsumer, KAFKA, KAFKA_PRODUCER, RecordRejectedError, consumerReadiness, type ConsumedEvent, type ConsumerState } from '@falaj/messaging';
import { RegionStoreConnections } from '../region-stores/region-store.connections';
import { NoRegionStoreError } from '../region-stores/region-store.selection';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { AuditPartitions } from './audit-partitions';
import { insertPayloadRows } from './payload-log.rows';

const COLUMNS = [
  'event_id',
  'request_id',
  'residency_region',
  'tenant_id',
  'subject',
  'model',
  'version',
  'pool',
  'protocol',
  'status',
  'error',
  'latency_ms',
  'served_region',
  'placement',
  'occurred_at',
] as const;
/** Rows per INSERT: 15 parameters each stays far below Postgres' 65,535 per statement. */
const ROWS_PER_INSERT = 1000;
/** Readiness turns not-ready when one batch has been unsettled (retried, or hanging) this long. */
export const AUDIT_STUCK_AFTER_MS = 60_000;

/** The audit writer's consumer group (its lag is falaj_audit_consumer_lag). */
export const AUDIT_WRITER_GROUP = (prefix: string): string => `${prefix}-registry-audit-writer`;

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
 * Drains audit events from Kafka into the partitioned `audit_log` of each event's region store
 * (RegionStoreConnections: a region's rows only ever in its own database). Kafka holds them while
 * Postgres is away; delivery is at-least-once, so inserts ignore an event id already written
 * (never a request id: two calls may share one, and each gets its row). A batch Postgres refuses
 * for its data — or that holds an event of a region without a store — is split by the consumer
 * until the refused event is alone; that one goes to `<audit topic>.quarantine` with the
 * reason, and the rest are written.
 */
@Injectable()
export class AuditWriter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AuditWriter.name);
  /** The shared audit topic's consumer first, then one per region with a store of its own (its own topic). */
  private readonly consumers: EventConsumer<ReceivedAuditEvent>[];
  /** Each consumer's topic and group, in the same order: what `falaj_audit_consumer_lag` measures. */
  readonly sources: readonly { topic: string; groupId: string }[];
  private readonly partitions = new Set<string>();
  private readonly preparing = new Map<string, Promise<void>>();
  private readonly topic: string;
  private readonly payloadKeys: PayloadKeys;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(KAFKA_PRODUCER) producer: Producer,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
    @Inject(RegionStoreConnections) private readonly stores: RegionStoreConnections,
  ) {
    this.topic = auditTopic(config.prefix);
    this.payloadKeys = new PayloadKeys(config.payloadKey);
    const consumer = (topic: string, groupId: string) =>
      new EventConsumer({
        kafka,
        groupId,
        topic,
        schema: ReceivedAuditEventSchema,
        fromBeginning: true,
        // One quarantine for every audit topic: what cannot be stored is looked at in one place.
        quarantine: { producer, topic: quarantineTopic(this.topic) },
        handle: (events) => this.write(events),
      });
    this.sources = [
      { topic: this.topic, groupId: AUDIT_WRITER_GROUP(config.prefix) },
      ...(stores.acceptedRegions() ?? []).map((region) => ({ topic: regionAuditTopic(config.prefix, region), groupId: `${AUDIT_WRITER_GROUP(config.prefix)}-${region}` })),
    ];
    this.consumers = this.sources.map(({ topic, groupId }) => consumer(topic, groupId));
  }

  /** The shared topic's consumer. */
  consumerState(): ConsumerState {
    return this.consumers[0].state();
  }

  /** For `/health/ready`: every consumer's state; throws (with it) when one is stuck or stopped. */
  readiness(): Record<string, unknown> {
    if (this.consumers.length === 1) return consumerReadiness(this.consumers[0].state(), AUDIT_STUCK_AFTER_MS);
    return Object.fromEntries(this.consumers.map((c) => [c.state().topic, consumerReadiness(c.state(), AUDIT_STUCK_AFTER_MS)]));
  }

  async onModuleInit(): Promise<void> {
    for (const consumer of this.consumers) await consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    for (const consumer of this.consumers) await consumer.stop();
  }

  /**
   * Writes the events, each region's in one transaction of its store (redelivered, a store's
   * rows are ignored as already written); RecordRejectedError when Postgres refuses their data,
   * or when an event's region has no store, after the others are written.
   */
  async write(events: ConsumedEvent<ReceivedAuditEvent>[]): Promise<void> {
    const storable = events.filter((e) => this.stores.accepts(e.value.residencyRegion));
    for (const { region, db, items } of this.stores.group(storable, (e) => e.value.residencyRegion)) {
      // Outside the try: a partition not made is the database's trouble, retried, never the records'.
      await this.ensurePartition(db, region);
      try {
        await db.transaction(async (tx) => {
          for (let i = 0; i < items.length; i += ROWS_PER_INSERT) await this.insert(tx, items.slice(i, i + ROWS_PER_INSERT));
        });
      } catch (error) {
        if (!isRecordLevel(error)) throw error;
        throw new RecordRejectedError(`postgres ${(error as { code: string }).code}: ${(error as Error).message}`, { cause: error });
      }
    }
    const homeless = events.find((e) => !this.stores.accepts(e.value.residencyRegion));
    if (homeless) throw new RecordRejectedError(new NoRegionStoreError(homeless.value.residencyRegion).message);
  }

  /**
   * Job rows' events, written by the batch runner in the transaction (of the job's region store)
   * that answers the rows, so a row has its answer and its audit row or neither (see
   * BatchJobsService.applyResults). The caller has made the region's partitions ready first
   * (preparePartitions), outside its transaction.
   */
  async insertWithin(tx: EntityManager, events: AuditEvent[]): Promise<void> {
    const parsed = events.map((event) => AuditEventSchema.parse(event));
    for (let i = 0; i < parsed.length; i += ROWS_PER_INSERT) await this.insertRows(tx, parsed.slice(i, i + ROWS_PER_INSERT));
  }

  async preparePartitions(db: DataSource, regions: Iterable<string>): Promise<void> {
    for (const region of new Set(regions)) await this.ensurePartition(db, region);
  }

  private insert(tx: EntityManager, events: ConsumedEvent<ReceivedAuditEvent>[]): Promise<void> {
    return this.insertRows(
      tx,
      events.map(({ value, partition, offset }) => ({ ...value, eventId: value.eventId ?? this.legacyEventId(partition, offset) })),
    );
  }

  private async insertRows(tx: EntityManager, events: AuditEvent[]): Promise<void> {
    await insertPayloadRows(tx, events, this.payloadKeys);
    const params: unknown[] = [];
    const rows = events.map((e) => {
      const values = [
        e.eventId,
        e.requestId,
        e.residencyRegion,
        e.tenantId,
        e.subject,
        e.model,
        e.version,
        e.pool,
        e.protocol,
        e.status,
        e.error,
        e.latencyMs,
        e.servedRegion,
        e.placement ?? null,
        e.occurredAt,
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
   * A region's rows get their own partitions in its store the first time this process sees the
   * region: the audit's by month, with a default (see AuditPartitions; the retention pass makes
   * later months ahead), and the payload log's. One preparation per store and region at a time in
   * this process (the job runner's chunks and the Kafka drain all ask at once for a new region);
   * another registry doing the same at the same moment may deadlock with it on the parent's
   * locks, which Postgres breaks (40P01): tried again.
   */
  private ensurePartition(db: DataSource, region: string): Promise<void> {
    const key = `${String(db.options.database)}/${region}`;
    if (this.partitions.has(key)) return Promise.resolve();
    let preparing = this.preparing.get(key);
    if (!preparing) {
      preparing = this.preparePartition(db, region)
        .then(() => void this.partitions.add(key))
        .finally(() => this.preparing.delete(key));
      this.preparing.set(key, preparing);
    }
    return preparing;
  }

  private async preparePartition(db: DataSource, region: string, attempt = 1): Promise<void> {
    try {
      if (!(await this.hasDefaultRows(db, 'audit_log', region))) {
        const table = await new AuditPartitions(db, (work) => db.transaction((tx) => work(tx))).ensureRegion(region);
        this.logger.log({ region, store: db.options.database, table }, 'audit partition ready');
      }
      if (!(await this.hasDefaultRows(db, 'payload_log', region))) await this.ensurePayloadPartition(db, region);
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || attempt >= 3) throw error;
      await this.preparePartition(db, region, attempt + 1);
    }
  }

  /** Rows of the region already in the parent's default partition: a partition for it cannot be made until they move. */
  private async hasDefaultRows(db: DataSource, parent: 'audit_log' | 'payload_log', region: string): Promise<boolean> {
    return (await db.query<unknown[]>(`SELECT 1 FROM ${parent}_default WHERE residency_region = $1 LIMIT 1`, [region])).length > 0;
  }

  private async ensurePayloadPartition(db: DataSource, region: string): Promise<void> {
    // Regions are validated by the event schema's producer side; quote defensively all the same.
    const table = `payload_log_${region.replace(/[^a-z0-9_]/g, '_')}`;
    await db.query(`CREATE TABLE IF NOT EXISTS "${table}" PARTITION OF payload_log FOR VALUES IN ('${region.replace(/'/g, "''")}')`).catch((error: { code?: string }) => {
      if (error.code !== '42P07') throw error; // created concurrently
    });
    this.logger.log({ region, store: db.options.database, table }, 'payload log partition ready');
  }
}
