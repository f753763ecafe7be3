import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Kafka, Message, Producer } from 'kafkajs';
import { AuditEventSchema, platformTopics, type AuditEvent } from '@falaj/contracts';
import { KAFKA, createProducer, ensureTopics } from '@falaj/messaging';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { GatewayMetrics } from '../metrics/gateway.metrics';
import { AuditError } from './audit.exception';
import { AuditRegions } from './audit-regions';
import { AuditSpool, type SpoolEntry } from './audit-spool';
import { MAX_EVENT_LINE_BYTES, type SpooledEvent } from './audit-spool.policy';

const FLUSH_EVERY_MS = 50;
const MAX_BATCH = 500;
/** Events recorded between two writes, at most (a disk that stalls): beyond, they are dropped and counted. */
const MAX_UNWRITTEN = 50_000;
/** Kafka away: the next try after this long, doubling up to the cap. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;
/** A stop waits this long for Kafka to take what is spooled; the rest waits on disk for the next start. */
const STOP_DRAIN_MS = 3_000;

/** A must-audit call's promise of room in the spool, taken before dispatch (see `admitDurable`). */
export interface AuditTicket {
  bytes: number;
}

/** Why an event was dropped: `falaj_gateway_audit_dropped_total{reason}`. */
type DropReason = 'spool_full' | 'invalid';

interface Unwritten {
  event: AuditEvent;
  ticket?: AuditTicket;
  written?: { resolve: () => void; reject: (error: Error) => void };
}

/**
 * Audit events leave the request path at once and are never dropped silently: every flush tick
 * writes what was recorded since the last to the on-disk spool (one write, one fdatasync), and
 * the spool drains to Kafka (acks=all) whenever Kafka is there, so the gateway stays ready and
 * serving while it is not. A must-audit tenant's call reserves its event's room before dispatch
 * (`admitDurable`: 503 when the spool is full or unwritable) and its answer waits for the write
 * (`recordDurable`), which goes at once rather than at the next tick, together with whatever
 * else is waiting (group commit). A full spool drops other tenants' events, counted.
 */
@Injectable()
export class AuditSink implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AuditSink.name);
  private readonly producer: Producer;
  private spool?: AuditSpool;
  private unwritten: Unwritten[] = [];
  private readonly unsent: SpoolEntry[] = [];
  private timer?: NodeJS.Timeout;
  private writing?: Promise<void>;
  private writeAgain = false;
  private writeSoon = false;
  private draining?: Promise<void>;
  private connected = false;
  private stopped = false;
  private retryMs = RETRY_FIRST_MS;
  private kafkaError?: string;
  /** Ends the drain's idle wait: something was written. */
  private wake?: () => void;
  /** Ends its wait between tries while Kafka is away: the gateway stops. */
  private stopWaiting?: () => void;
  private readonly droppedTotal: Record<DropReason, number> = { spool_full: 0, invalid: 0 };

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly metrics: GatewayMetrics,
    /** Which audit topic each event goes to: its region's own once the registry keeps regions apart. */
    private readonly regions: AuditRegions,
  ) {
    this.producer = createProducer(kafka);
    this.producer.on(this.producer.events.DISCONNECT, () => (this.connected = false));
    metrics.readSpool(() => this.state);
  }

  async onModuleInit(): Promise<void> {
    const { spool, replayed, skipped } = await AuditSpool.open(this.config.auditSpool.dir, this.config.auditSpool.maxBytes);
    this.spool = spool;
    this.unsent.push(...replayed);
    if (skipped > 0) {
      // A crash's torn tail, or damage: those lines are gone, said once, never a boot that fails.
      this.metrics.auditSpoolSkipped.inc(skipped);
      this.logger.warn({ dir: spool.dir, skipped }, 'audit spool: skipped lines that are not whole events (a write cut short by a crash?)');
    }
    if (replayed.length > 0) this.logger.log({ dir: spool.dir, events: replayed.length }, 'audit spool: sending again what an earlier run left');
    this.timer = setInterval(() => void this.write(), FLUSH_EVERY_MS);
    this.timer.unref();
    this.draining = this.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.write();
    const deadline = Date.now() + STOP_DRAIN_MS;
    while (this.connected && this.unsent.length > 0 && Date.now() < deadline) await sleep(20);
    this.stopped = true;
    this.wake?.();
    this.stopWaiting?.();
    await Promise.race([this.draining, sleep(STOP_DRAIN_MS)]);
    await this.producer.disconnect().catch(() => undefined);
    await this.spool?.close();
  }

  /** Records a call's event; on disk by the next tick. */
  record(event: AuditEvent): void {
    if (this.unwritten.length >= MAX_UNWRITTEN) return this.dropped('spool_full', 1);
    this.unwritten.push({ event });
  }

  /** Before a must-audit call is dispatched: its event's room, or a 503 (spool full or unwritable). */
  admitDurable(): AuditTicket {
    try {
      this.spool!.reserve(MAX_EVENT_LINE_BYTES);
    } catch (error) {
      this.metrics.refused.inc({ limit: 'audit_spool' });
      throw error;
    }
    return { bytes: MAX_EVENT_LINE_BYTES };
  }

  /** A ticket not used after all (the call failed before it had an event). */
  release(ticket: AuditTicket): void {
    this.spool?.release(ticket.bytes);
  }

  /** A must-audit call's event: resolves once it is on disk; rejects (503) when it could not be written. */
  recordDurable(event: AuditEvent, ticket: AuditTicket): Promise<void> {
    return new Promise((resolve, reject) => {
      this.unwritten.push({ event, ticket, written: { resolve, reject } });
      if (this.writeSoon) return;
      this.writeSoon = true;
      // Calls answered in the same turn of the event loop share one write.
      setImmediate(() => {
        this.writeSoon = false;
        void this.write();
      });
    });
  }

  /** For readiness and the metrics: never a reason to be unready (Kafka away is what the spool is for). */
  get state(): { spooledBytes: number; spooledEvents: number; writable: boolean; kafka: string } {
    const spool = this.spool?.state;
    return {
      spooledBytes: spool?.bytes ?? 0,
      spooledEvents: spool?.events ?? 0,
      writable: spool?.writable ?? false,
      kafka: this.connected ? 'connected' : this.kafkaError ? `away: ${this.kafkaError}` : 'connecting',
    };
  }

  private write(): Promise<void> {
    if (this.writing) {
      this.writeAgain = true;
      return this.writing;
    }
    this.writing = (async () => {
      do {
        this.writeAgain = false;
        await this.writeGroup();
      } while (this.writeAgain);
    })().finally(() => (this.writing = undefined));
    return this.writing;
  }

  /** One write of everything recorded since the last, within the spool's bound. */
  private async writeGroup(): Promise<void> {
    const group = this.unwritten;
    if (group.length === 0 || !this.spool) return;
    this.unwritten = [];
    const taken: Unwritten[] = [];
    const lines: SpooledEvent[] = [];
    let room = this.spool.room();
    let reserved = 0;
    for (const item of group) {
      const parsed = AuditEventSchema.safeParse(item.event);
      if (!parsed.success) {
        this.logger.error({ requestId: item.event.requestId, issues: parsed.error.issues.slice(0, 3) }, 'dropping an audit event the schema refuses');
        this.dropped('invalid', 1);
        item.written?.reject(AuditError.spoolUnwritable());
        continue;
      }
      const value = JSON.stringify(parsed.data);
      const bytes = Buffer.byteLength(value) + 1;
      // A must-audit event takes the room its call reserved.
      if (item.ticket) room += item.ticket.bytes;
      if (bytes > room) {
        this.dropped('spool_full', 1);
        item.written?.reject(AuditError.spoolFull(this.spool.maxBytes));
        continue;
      }
      room -= bytes;
      taken.push(item);
      lines.push({ value, key: parsed.data.requestId, tenantId: parsed.data.tenantId, region: parsed.data.residencyRegion });
    }
    for (const item of group) if (item.ticket) reserved += item.ticket.bytes;
    this.spool.release(reserved);
    if (lines.length === 0) return;
    try {
      this.unsent.push(...(await this.spool.append(lines)));
    } catch (error) {
      this.metrics.auditSpoolWriteFailures.inc();
      this.logger.error({ dir: this.spool.dir, events: lines.length }, `audit spool write failed, will retry: ${(error as Error).message}`);
      // Waiting answers are withheld (503); the events themselves are tried again at the next tick.
      for (const item of taken) item.written?.reject(AuditError.spoolUnwritable());
      this.unwritten.unshift(...taken.map(({ event }) => ({ event })));
      return;
    }
    for (const item of taken) item.written?.resolve();
    this.wake?.();
  }

  /** The batch's messages by audit topic, in spool order within each. */
  private byTopic(batch: readonly SpoolEntry[]): { topic: string; messages: Message[] }[] {
    const topics = new Map<string, Message[]>();
    for (const e of batch) {
      const topic = this.regions.auditTopicOf(e.region);
      (topics.get(topic) ?? topics.set(topic, []).get(topic)!).push({ key: e.key, value: e.value, headers: { tenant: e.tenantId } });
    }
    return [...topics].map(([topic, messages]) => ({ topic, messages }));
  }

  /** Sends the spool to Kafka in order, batch by batch, until stopped; waits and retries while Kafka is away. */
  private async drain(): Promise<void> {
    while (!this.stopped) {
      const batch = this.unsent.slice(0, MAX_BATCH);
      try {
        // Connected from the start, not at the first event: readiness says where Kafka is.
        await this.connect();
        if (batch.length > 0) await this.producer.sendBatch({ acks: -1, topicMessages: this.byTopic(batch) });
      } catch (error) {
        this.kafkaError = (error as Error).message;
        if (this.retryMs === RETRY_FIRST_MS) this.logger.warn({ spooled: this.unsent.length }, `audit events wait in the spool: Kafka: ${this.kafkaError}`);
        await new Promise<void>((resolve) => {
          this.stopWaiting = resolve;
          setTimeout(resolve, this.retryMs).unref();
        });
        this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
        continue;
      }
      if (this.kafkaError !== undefined) this.logger.log({ spooled: this.unsent.length }, 'Kafka answers again: sending the spooled audit events');
      this.retryMs = RETRY_FIRST_MS;
      this.kafkaError = undefined;
      if (batch.length === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, FLUSH_EVERY_MS).unref();
        });
        continue;
      }
      this.unsent.splice(0, batch.length);
      await this.spool!.ack(batch).catch((error: Error) => this.logger.warn(`audit spool: a delivered segment was not deleted: ${error.message}`));
    }
  }

  private async connect(): Promise<void> {
    if (this.connected) return;
    await ensureTopics(this.kafka, [platformTopics(this.config.prefix).audit], 1);
    await this.producer.connect();
    this.connected = true;
  }

  private dropped(reason: DropReason, count: number): void {
    this.metrics.auditDropped.inc({ reason }, count);
    const before = this.droppedTotal[reason];
    this.droppedTotal[reason] += count;
    // Said at the first drop and every thousandth after: a full spool must not flood the log.
    if (Math.floor(before / 1000) !== Math.floor(this.droppedTotal[reason] / 1000) || before === 0) {
      const why = reason === 'spool_full' ? `the audit spool is full (FALAJ_AUDIT_SPOOL_MAX_BYTES=${this.config.auditSpool.maxBytes})` : 'the event schema refuses them';
      this.logger.error({ reason, dropped: this.droppedTotal[reason] }, `audit events dropped: ${why}`);
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
