import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { auditEventOf, auditTopic } from '@falaj/contracts';
import { AppMetrics } from '@falaj/observability';
import { eventually, freePorts, testKafka } from '@falaj/testing';
import type { GatewayConfig } from '../gateway.config';
import { GatewayMetrics } from '../metrics/gateway.metrics';
import type { AuditRegions } from './audit-regions';
import { AuditSink } from './audit.sink';

/**
 * The audit sink with Kafka away, on a real kafkajs client whose broker address has nothing
 * listening (the shared broker is never stopped), then on the real broker of scripts/infra.sh:
 * the events wait in the spool, bounded and counted in the metrics, and every one is delivered
 * once Kafka answers. The full stack (gateway ready, rows in Postgres) is
 * test/durable-audit.e2e-spec.ts; a broker stopped under a running stack is the chaos harness's.
 */
const EVENTS = 25;

describe(`${AuditSink.name} with Kafka away`, () => {
  const prefix = `falajtest-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'falaj-sink-it-'));
  const admin = testKafka('audit-sink-spec');
  const config = { prefix, auditSpool: { dir, maxBytes: 1024 * 1024 } } as GatewayConfig;
  const facts = { tenantId: 'acme', subject: 's', model: 'm', version: 1, pool: 'cpu.ae', protocol: 'rest' as const, status: 200, error: null, latencyMs: 1 };
  // No region stores of their own: every event takes the shared topic.
  const regions = { auditTopicOf: () => auditTopic(prefix) } as unknown as AuditRegions;
  const ids = Array.from({ length: EVENTS }, (_, i) => `away-${i}`);

  afterAll(async () => {
    const client = admin.admin();
    await client.connect();
    await client.deleteTopics({ topics: [auditTopic(prefix)] }).catch(() => undefined);
    await client.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('keeps every event in the bounded spool while the broker is unreachable, counted, and delivers them all once Kafka answers', async () => {
    const [deadPort] = await freePorts(1);
    const away = new Kafka({ clientId: 'gateway-away', brokers: [`127.0.0.1:${deadPort}`], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 } });
    const appMetrics = new AppMetrics('gateway');
    const sink = new AuditSink(away, config, new GatewayMetrics(appMetrics), regions);
    await sink.onModuleInit();
    for (const requestId of ids) sink.record(auditEventOf({ ...facts, requestId }));
    await eventually('spooled', async () => (sink.state.spooledEvents === EVENTS ? true : undefined), 5_000, 20);
    await eventually('Kafka reported away', async () => (sink.state.kafka.startsWith('away: ') ? true : undefined), 10_000, 50);
    expect(sink.state.writable).toBe(true);
    const text = await appMetrics.text();
    expect(text).toMatch(new RegExp(`^falaj_gateway_audit_spool_events ${EVENTS}$`, 'm'));
    expect(Number(/^falaj_gateway_audit_spool_bytes (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(text).not.toMatch(/^falaj_gateway_audit_dropped_total\{/m);
    await sink.onApplicationShutdown();

    // The same spool, the real broker: every event of the outage goes out.
    const back = new AuditSink(testKafka('gateway-back'), config, new GatewayMetrics(new AppMetrics('gateway')), regions);
    await back.onModuleInit();
    try {
      await eventually('spool drained', async () => (back.state.spooledEvents === 0 && back.state.kafka === 'connected' ? true : undefined), 30_000, 50);
    } finally {
      await back.onApplicationShutdown();
    }
    const seen = new Set<string>();
    const consumer = admin.consumer({ groupId: `${prefix}-check` });
    await consumer.connect();
    await consumer.subscribe({ topic: auditTopic(prefix), fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.add(JSON.parse(String(message.value)).requestId as string) });
    try {
      await eventually('all delivered', async () => (seen.size === EVENTS ? true : undefined), 30_000, 50);
    } finally {
      await consumer.disconnect();
    }
    expect([...seen].sort()).toEqual([...ids].sort());
  }, 90_000);
});
