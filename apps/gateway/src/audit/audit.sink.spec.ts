import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka, ProducerBatch, ProducerRecord } from 'kafkajs';
import { auditEventOf } from '@falaj/contracts';
import type { GatewayConfig } from '../gateway.config';
import { AppMetrics } from '@falaj/observability';
import { GatewayMetrics } from '../metrics/gateway.metrics';
import type { AuditRegions } from './audit-regions';
import { AuditSink } from './audit.sink';

/** A broker as the sink sees it: sends are taken while `up`, refused otherwise. */
function fakeKafka() {
  const state = { up: true, sent: [] as ProducerRecord[] };
  const producer = {
    events: { DISCONNECT: 'producer.disconnect' },
    on: () => undefined,
    connect: async () => {
      if (!state.up) throw new Error('Connection error: ECONNREFUSED');
    },
    disconnect: async () => undefined,
    sendBatch: async (batch: ProducerBatch) => {
      if (!state.up) throw new Error('Connection error: ECONNREFUSED');
      state.sent.push(...(batch.topicMessages ?? []).map((t) => ({ topic: t.topic, messages: t.messages, acks: batch.acks })));
    },
  };
  const admin = { connect: async () => producer.connect(), disconnect: async () => undefined, listTopics: async () => ['falaj.audit.v1'] };
  const kafka = { producer: () => producer, admin: () => admin } as unknown as Kafka;
  return { kafka, state, sentIds: () => state.sent.flatMap((r) => r.messages.map((m) => JSON.parse(String(m.value)).requestId as string)) };
}

const facts = { requestId: 'r', tenantId: 'acme', subject: 's', model: 'm', version: 1, pool: 'cpu.ae', protocol: 'rest' as const, status: 200, error: null, latencyMs: 1 };

async function until(what: string, probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe(AuditSink.name, () => {
  let dir: string;
  const sinks: AuditSink[] = [];
  const sinkOn = async (kafka: Kafka, maxBytes = 64 * 1024, metrics = new GatewayMetrics(new AppMetrics('gateway'))) => {
    // No region stores of their own: every event takes the shared topic.
    const sink = new AuditSink(kafka, { prefix: 'falaj', auditSpool: { dir, maxBytes } } as GatewayConfig, metrics, { auditTopicOf: () => 'falaj.audit.v1' } as unknown as AuditRegions);
    await sink.onModuleInit();
    sinks.push(sink);
    return sink;
  };
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'falaj-sink-'))));
  afterEach(async () => {
    for (const sink of sinks.splice(0)) await sink.onApplicationShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('record', () => {
    it('drops an event the schema refuses alone, counted, and delivers the others of its group', async () => {
      const { kafka, sentIds, state } = fakeKafka();
      const metrics = new GatewayMetrics(new AppMetrics('gateway'));
      const sink = await sinkOn(kafka, 64 * 1024, metrics);
      sink.record(auditEventOf({ ...facts, model: '\u0000', requestId: 'good-1' }));
      sink.record(auditEventOf({ ...facts, requestId: 'bad', tenantId: 'ac\u0000me' }));
      sink.record(auditEventOf({ ...facts, requestId: 'good-2' }));
      await until('delivery', () => sentIds().length === 2);
      expect(sentIds()).toEqual(['good-1', 'good-2']);
      expect(JSON.parse(String(state.sent[0].messages[0].value)).model).toBe('\\u0000');
      expect(state.sent[0].acks).toBe(-1);
      expect((await metrics.auditDropped.get()).values).toEqual([expect.objectContaining({ labels: { reason: 'invalid' }, value: 1 })]);
    });

    it('keeps events on disk while Kafka is away, and a gateway restarted on the directory after a crash delivers them', async () => {
      const away = fakeKafka();
      away.state.up = false;
      const sink = await sinkOn(away.kafka);
      for (let i = 0; i < 20; i++) sink.record(auditEventOf({ ...facts, requestId: `r${i}` }));
      await until('spooled', () => sink.state.spooledEvents === 20);
      expect(sink.state.kafka).toMatch(/^away/);
      // A crash: no shutdown (the dead sink's Kafka stays away, so it never sends or deletes
      // anything again); the LOCK names this process, which a new sink here takes over.
      sinks.splice(0);
      const { kafka, sentIds } = fakeKafka();
      const restarted = await sinkOn(kafka);
      await until('delivery', () => new Set(sentIds()).size === 20);
      await until('segments deleted', () => restarted.state.spooledEvents === 0);
      await restarted.onApplicationShutdown();
      sinks.splice(0);
      expect(readdirSync(dir)).toEqual([]);
    });

    it('counts what a full spool drops, and refuses a must-audit call before dispatch (503, Retry-After)', async () => {
      const { kafka, state } = fakeKafka();
      state.up = false;
      const metrics = new GatewayMetrics(new AppMetrics('gateway'));
      const sink = await sinkOn(kafka, 64 * 1024, metrics);
      for (let i = 0; i < 200; i++) sink.record(auditEventOf({ ...facts, requestId: `fill-${i}` }));
      await until('full', () => sink.state.spooledBytes > 60 * 1024);
      const dropped = (await metrics.auditDropped.get()).values.find((v) => v.labels.reason === 'spool_full')?.value ?? 0;
      expect(dropped).toBe(200 - sink.state.spooledEvents);
      expect(() => sink.admitDurable()).toThrow(expect.objectContaining({ status: 503, limit: 'audit_spool', retryAfterSeconds: 1 }));
      expect((await metrics.refused.get()).values).toEqual([expect.objectContaining({ labels: { limit: 'audit_spool' }, value: 1 })]);
    });
  });

  describe('recordDurable', () => {
    it('resolves only once the event is in a segment on disk', async () => {
      const { kafka, state } = fakeKafka();
      state.up = false;
      const sink = await sinkOn(kafka);
      const ticket = sink.admitDurable();
      await sink.recordDurable(auditEventOf({ ...facts, requestId: 'must' }), ticket);
      const text = readdirSync(dir)
        .filter((n) => n.endsWith('.jsonl'))
        .map((n) => readFileSync(join(dir, n), 'utf8'))
        .join('');
      expect(text).toContain('"requestId":"must"');
    });
  });
});
