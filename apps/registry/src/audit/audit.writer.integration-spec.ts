import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { Consumer, KafkaMessage, Producer } from 'kafkajs';
import { QUARANTINE_HEADERS, auditEventOf, platformTopics, quarantineTopicSpec, type AuditEvent } from '@falaj/contracts';
import { ConsumerNotReadyError, consumerReadiness, createKafka, ensureTopics } from '@falaj/messaging';
import { eventually, testKafkaConnection } from '@falaj/testing';
import { dataSourceOptions } from '../database/data-source.options';
import { ensureDatabase } from '../database/ensure-database';
import { databaseConnection } from '../database/database-connection';
import type { RegistryConfig } from '../registry.config';
import { RegionStoreConnections } from '../region-stores/region-store.connections';
import { AuditWriter } from './audit.writer';

/**
 * Real Kafka and real Postgres, nothing faked: the registry's audit writer as it runs at boot,
 * its consumer group on a topic of this run, its quarantine topic, and the migrated audit_log.
 */
const SERVER = process.env.FALAJ_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

describe(AuditWriter.name, () => {
  const run = randomBytes(4).toString('hex');
  const prefix = `falajit-audit-${run}`;
  const database = `falaj_audit_it_${run}`;
  // The operator's superuser over the machine's trust auth: what is tested here is the schema, not the role.
  const connection = databaseConnection({ url: `${SERVER}/${database}`, sslMode: 'disable' });
  const topics = platformTopics(prefix);
  const quarantine = quarantineTopicSpec(topics.audit.topic);
  const kafka = createKafka('audit-writer-spec', testKafkaConnection());
  const quarantined: KafkaMessage[] = [];
  let db: DataSource;
  let producer: Producer;
  let reader: Consumer;
  let writer: AuditWriter;

  const admin = async <T>(sql: string): Promise<T[]> => {
    const client = new Client({ connectionString: `${SERVER}/postgres` });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  };
  const event = (requestId: string): AuditEvent =>
    auditEventOf({ requestId, tenantId: 'acme', subject: 'svc', residency: 'ae', model: 'tiny-mlp', version: 1, pool: 'cpu.ae', protocol: 'rest', status: 200, error: null, latencyMs: 1 });
  const publish = (values: (string | object)[]) =>
    producer.send({
      topic: topics.audit.topic,
      // One partition, one send: the good and the bad arrive in the same batch, as on a busy topic.
      messages: values.map((value) => ({
        partition: 0,
        key: 'k',
        value: typeof value === 'string' ? value : JSON.stringify(value),
        headers: { tenant: 'acme', Authorization: 'Bearer not-for-the-quarantine' },
      })),
    });
  const rowsOf = async (ids: string[]) => await db.query<{ event_id: string; model: string }[]>(`SELECT event_id, model FROM audit_log WHERE event_id = ANY($1::uuid[])`, [ids]);
  const state = () => writer.consumerState();

  beforeAll(async () => {
    await ensureDatabase(connection);
    db = new DataSource({ ...dataSourceOptions(connection), logging: false });
    await db.initialize();
    await ensureTopics(kafka, [topics.audit, quarantine]);
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    reader = kafka.consumer({ groupId: `${prefix}-quarantine-reader` });
    await reader.connect();
    await reader.subscribe({ topic: quarantine.topic, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void quarantined.push(message) });
    writer = new AuditWriter(kafka, producer, { prefix } as RegistryConfig, RegionStoreConnections.catalogOnly(db));
    await writer.onModuleInit();
  }, 60_000);

  afterAll(async () => {
    await admin(`ALTER DATABASE "${database}" WITH ALLOW_CONNECTIONS true`).catch(() => undefined);
    await writer?.onApplicationShutdown();
    await reader?.disconnect();
    await producer?.disconnect();
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    await kafkaAdmin.deleteTopics({ topics: [topics.audit.topic, quarantine.topic] }).catch(() => undefined);
    await kafkaAdmin.deleteGroups([`${prefix}-registry-audit-writer`, `${prefix}-quarantine-reader`]).catch(() => undefined);
    await kafkaAdmin.disconnect();
    await db?.destroy();
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  }, 60_000);

  describe('write', () => {
    it('writes every good event of a batch around the ones it cannot take, and quarantines those with the reason', async () => {
      const before = Array.from({ length: 5 }, (_, i) => event(`before-${i}`));
      const after = Array.from({ length: 5 }, (_, i) => event(`after-${i}`));
      // From outside (a model named in the URL): escaped and written, so the call is audited.
      const nulModel = { ...event('nul-model'), model: '\u0000' };
      // The platform's own text: refused by the schema on receipt.
      const nulTenant = { ...event('nul-tenant'), tenantId: 'ac\u0000me' };
      // Valid to the schema, refused by Postgres (there is no year 0): only the insert finds it.
      const yearZero = { ...event('year-zero'), occurredAt: '0000-01-01T00:00:00.000Z' };
      await publish([...before, 'not json {', nulTenant, nulModel, yearZero, ...after]);

      const good = [...before, nulModel, ...after].map((e) => e.eventId);
      const rows = await eventually(
        'the good rows',
        async () => {
          const found = await rowsOf(good);
          return found.length === good.length ? found : undefined;
        },
        60_000,
      );
      expect(rows.find((r) => r.event_id === nulModel.eventId)?.model).toBe('\\u0000');
      expect(await rowsOf([nulTenant.eventId, yearZero.eventId])).toEqual([]);

      await eventually('three quarantined records', async () => (quarantined.length >= 3 ? true : undefined), 30_000);
      const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();
      const byOffset = [...quarantined].sort((a, b) => Number(a.offset) - Number(b.offset));
      // Set aside in the audit topic's order; offsets of the fresh topic: 5 before, then these.
      expect(byOffset.map((m) => [header(m, QUARANTINE_HEADERS.kind), header(m, QUARANTINE_HEADERS.offset)])).toEqual([
        ['invalid', '5'],
        ['invalid', '6'],
        ['rejected', '8'],
      ]);
      expect(header(byOffset[0], QUARANTINE_HEADERS.reason)).toMatch(/^not JSON/);
      expect(header(byOffset[1], QUARANTINE_HEADERS.reason)).toMatch(/^invalid: tenantId: text Postgres cannot store/);
      expect(header(byOffset[2], QUARANTINE_HEADERS.reason)).toMatch(/^postgres 22008: date\/time field value out of range/);
      for (const m of byOffset) {
        expect(header(m, QUARANTINE_HEADERS.topic)).toBe(topics.audit.topic);
        expect(header(m, QUARANTINE_HEADERS.partition)).toBe('0');
        expect(header(m, 'tenant')).toBe('acme');
        expect(Object.keys(m.headers ?? {}).map((h) => h.toLowerCase())).not.toContain('authorization');
      }
      // The original bytes, as they were on the audit topic.
      expect(byOffset[0].value?.toString()).toBe('not json {');
      expect(JSON.parse(byOffset[2].value!.toString())).toEqual(yearZero);
      expect(state()).toMatchObject({ running: true, quarantined: 3, batchSince: null, retryingSince: null });
    }, 90_000);

    it('retries through a Postgres outage, quarantining nothing, and reports the held batch until it is written', async () => {
      await admin(`ALTER DATABASE "${database}" WITH ALLOW_CONNECTIONS false`);
      await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${database}'`);
      const events = Array.from({ length: 5 }, (_, i) => event(`outage-${i}`));
      await publish(events);

      const held = await eventually('the batch retried', async () => (state().retryingSince ? state() : undefined), 30_000);
      expect(held.retries).toBeGreaterThan(0);
      expect(held.lastError).toMatch(/not currently accepting connections|terminat/);
      // Within the bound it is still ready; past it, not (a bound of 0 stands for a long outage).
      expect(() => writer.readiness()).not.toThrow();
      expect(() => consumerReadiness(held, 0)).toThrow(ConsumerNotReadyError);

      await admin(`ALTER DATABASE "${database}" WITH ALLOW_CONNECTIONS true`);
      await eventually('the rows after the outage', async () => ((await rowsOf(events.map((e) => e.eventId))).length === 5 ? true : undefined), 60_000);
      expect(state()).toMatchObject({ quarantined: 3, retryingSince: null, batchSince: null });
      expect(quarantined).toHaveLength(3);
    }, 120_000);

    it('stops at once while retrying, and the next writer of the group writes what was left', async () => {
      await admin(`ALTER DATABASE "${database}" WITH ALLOW_CONNECTIONS false`);
      await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${database}'`);
      const events = Array.from({ length: 3 }, (_, i) => event(`left-${i}`));
      await publish(events);
      await eventually('the batch retried', async () => (state().retryingSince ? true : undefined), 30_000);
      const stopping = Date.now();
      await writer.onApplicationShutdown();
      expect(Date.now() - stopping).toBeLessThan(5_000);
      expect(state().running).toBe(false);
      expect(() => writer.readiness()).toThrow(/not running/);

      await admin(`ALTER DATABASE "${database}" WITH ALLOW_CONNECTIONS true`);
      writer = new AuditWriter(kafka, producer, { prefix } as RegistryConfig, RegionStoreConnections.catalogOnly(db));
      await writer.onModuleInit();
      await eventually('the rows left by the stopped writer', async () => ((await rowsOf(events.map((e) => e.eventId))).length === 3 ? true : undefined), 60_000);
    }, 120_000);
  });
});
