import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import type { AuditEvent } from '@falaj/contracts';
import { RecordRejectedError, type ConsumedEvent } from '@falaj/messaging';
import { ScratchDatabase } from '../../../../test/support/scratch-database';
import { AuditReader } from '../audit/audit.reader';
import { AuditWriter } from '../audit/audit.writer';
import { ErasureService } from '../erasure/erasure.service';
import type { RegistryConfig } from '../registry.config';
import { RetentionService } from '../retention/retention.service';
import { TenantRecords } from '../tenants/tenant-records';
import { RegionStoreConnections } from './region-store.connections';
import { parseRegionStores } from './region-stores.config';

/**
 * Real Postgres, three databases: the catalog and the stores of `ae` and `eu`
 * (FALAJ_REGION_STORES). Each region's audit rows are written only to its own store, a region
 * without one is refused, and the reader, erasure and retention cover every store: one keyset
 * across them, counts store by store.
 */
describe('regional audit stores (integration)', () => {
  const catalogDb = new ScratchDatabase('rs_catalog');
  const aeDb = new ScratchDatabase('rs_ae');
  const euDb = new ScratchDatabase('rs_eu');
  const config = {
    prefix: `rs-${randomBytes(3).toString('hex')}`,
    issuer: { keyEncryptionKey: randomBytes(32).toString('base64url') },
    registryId: 'rs-it',
    retention: { auditDays: 365, jobDays: 30, batchRows: 100 },
  } as unknown as RegistryConfig;
  // Never connected: write() is called directly, and no event here is quarantined through it.
  const kafka = new Kafka({ clientId: 'rs-it', brokers: ['127.0.0.1:1'] });
  let catalog: DataSource;
  let stores: RegionStoreConnections;
  let writer: AuditWriter;

  const event = (tenantId: string, region: string, occurredAt: Date, subject = 'svc'): AuditEvent => ({
    eventId: randomUUID(),
    requestId: `r-${randomUUID()}`,
    tenantId,
    subject,
    model: 'm',
    version: 1,
    pool: `cpu.${region}`,
    protocol: 'rest',
    status: 200,
    error: null,
    latencyMs: 1,
    residencyRegion: region,
    servedRegion: region,
    placement: null,
    occurredAt: occurredAt.toISOString(),
  });
  const consumed = (events: AuditEvent[]): ConsumedEvent<AuditEvent>[] => events.map((value, i) => ({ key: null, value, headers: {}, partition: 0, offset: String(i) }));
  const idsIn = async (db: DataSource, tenantId: string): Promise<string[]> =>
    (await db.query<{ event_id: string }[]>(`SELECT event_id FROM audit_log WHERE tenant_id = $1 ORDER BY event_id`, [tenantId])).map((r) => r.event_id);
  const sorted = (events: AuditEvent[]) => events.map((e) => e.eventId).sort();

  beforeAll(async () => {
    catalog = await catalogDb.open();
    const map = parseRegionStores(`ae=${aeDb.url},eu=${euDb.url}`);
    expect(map.problems).toEqual([]);
    // The stores do not exist yet: opening creates and migrates them.
    stores = await RegionStoreConnections.open(catalog, map.stores, { url: catalogDb.url, sslMode: 'disable' });
    writer = new AuditWriter(kafka, kafka.producer(), config, stores);
    await catalog.query(`INSERT INTO tenants (id, name, residency, audit_retention_days) VALUES ('acme', 'Acme', 'ae', 10), ('euco', 'EuCo', 'eu', NULL)`);
  }, 120_000);

  afterAll(async () => {
    await stores?.close();
    await catalog?.destroy();
    for (const db of [catalogDb, aeDb, euDb]) await db.drop();
  }, 60_000);

  it("writes each region's rows to its own store only, never to the catalog or the other region", async () => {
    const now = new Date();
    const ae = [event('acme', 'ae', now), event('acme', 'ae', now)];
    const eu = [event('euco', 'eu', now)];
    await writer.write(consumed([ae[0], eu[0], ae[1]]));
    expect(await idsIn(stores.forRegion('ae'), 'acme')).toEqual(sorted(ae));
    expect(await idsIn(stores.forRegion('eu'), 'acme')).toEqual([]);
    expect(await idsIn(stores.forRegion('eu'), 'euco')).toEqual(sorted(eu));
    expect(await idsIn(stores.forRegion('ae'), 'euco')).toEqual([]);
    expect(await catalog.query(`SELECT count(*)::int AS n FROM audit_log`)).toEqual([{ n: 0 }]);
    // Redelivered (at-least-once), nothing is written twice.
    await writer.write(consumed([ae[0], eu[0], ae[1]]));
    expect(await idsIn(stores.forRegion('ae'), 'acme')).toEqual(sorted(ae));
  });

  it('refuses an event of a region without a store (to be quarantined alone), having written the others', async () => {
    const now = new Date();
    const kept = event('acme', 'ae', now);
    const homeless = event('acme', 'us', now);
    await expect(writer.write(consumed([kept, homeless]))).rejects.toThrow(RecordRejectedError);
    await expect(writer.write(consumed([homeless]))).rejects.toThrow(/region "us" has no audit store/);
    expect(await idsIn(stores.forRegion('ae'), 'acme')).toContain(kept.eventId);
    for (const db of [catalog, stores.forRegion('ae'), stores.forRegion('eu')]) {
      expect(await db.query(`SELECT count(*)::int AS n FROM audit_log WHERE residency_region = 'us'`)).toEqual([{ n: 0 }]);
    }
    expect(() => stores.forRegion('us')).toThrow(/region "us" has no audit store/);
  });

  it('reads one keyset across the stores: every row once, newest first, page after page', async () => {
    const tenant = `rd-${randomBytes(3).toString('hex')}`;
    const base = Date.now() - 60_000;
    // Interleaved in time between the two stores, pairs sharing one instant (event id orders them).
    const events = Array.from({ length: 23 }, (_, i) => event(tenant, i % 3 === 0 ? 'eu' : 'ae', new Date(base - Math.floor(i / 2) * 1000)));
    await writer.write(consumed(events));
    const reader = new AuditReader(stores, config);
    const expected = [...events].sort((a, b) => (a.occurredAt === b.occurredAt ? (a.eventId < b.eventId ? 1 : -1) : a.occurredAt < b.occurredAt ? 1 : -1)).map((e) => e.eventId);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await reader.page({ tenantId: tenant }, { limit: 4, ...(cursor ? { cursor } : {}) });
      seen.push(...page.records.map((r) => r.eventId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(expected);
    // An export (batch after batch) agrees.
    const exported: string[] = [];
    for await (const batch of reader.batches({ tenantId: tenant }, {}, 5)) exported.push(...batch.map((r) => r.eventId));
    expect(exported).toEqual(expected);
  });

  it("erases a subject's rows in every store and reports the counts store by store", async () => {
    const now = new Date();
    const mine = [event('acme', 'ae', now, 'alice'), event('acme', 'ae', now, 'alice'), event('acme', 'eu', now, 'alice')];
    const others = [event('acme', 'ae', now, 'bob'), event('euco', 'eu', now, 'alice')];
    await writer.write(consumed([...mine, ...others]));
    const record = await new ErasureService(catalog, config, stores).erase({ tenantId: 'acme', subject: 'alice', requestedBy: 'admin' });
    expect(record.counts).toMatchObject({ auditRows: 3, payloadRows: 0, jobs: 0, jobRows: 0 });
    expect(record.counts.stores).toEqual([
      { store: 'catalog', regions: [], auditRows: 0, payloadRows: 0, jobRows: 0 },
      { store: aeDb.name, regions: ['ae'], auditRows: 2, payloadRows: 0, jobRows: 0 },
      { store: euDb.name, regions: ['eu'], auditRows: 1, payloadRows: 0, jobRows: 0 },
    ]);
    expect(await stores.forRegion('ae').query(`SELECT count(*)::int AS n FROM audit_log WHERE subject = 'alice' AND tenant_id = 'acme'`)).toEqual([{ n: 0 }]);
    // Another subject's, and another tenant's row of the same subject name, stay.
    expect(await idsIn(stores.forRegion('ae'), 'acme')).toContain(others[0].eventId);
    expect(await idsIn(stores.forRegion('eu'), 'euco')).toContain(others[1].eventId);
  });

  it("removes what expired in each store by its tenant's retention, records the store, and nothing else", async () => {
    const old = new Date(Date.now() - 20 * 86_400_000);
    const expired = event('acme', 'ae', old);
    const keptYoung = event('acme', 'ae', new Date());
    // euco keeps the platform's 365 days: its 20-day-old row stays.
    const keptLong = event('euco', 'eu', old);
    await writer.write(consumed([expired, keptYoung, keptLong]));
    // The payload records of the expired call and of the young one (a `redact` record, say).
    const payload = `INSERT INTO payload_log (event_id, residency_region, tenant_id, model, version, policy, request, response, occurred_at) VALUES ($1, 'ae', 'acme', 'm', 1, 'redact', '[]', '[]', $2)`;
    await stores.forRegion('ae').query(payload, [expired.eventId, expired.occurredAt]);
    await stores.forRegion('ae').query(payload, [keptYoung.eventId, keptYoung.occurredAt]);
    const run = await new RetentionService(catalog, config, stores, new TenantRecords(catalog)).runPass('admin');
    expect(run?.state).toBe('completed');
    expect(run?.removed).toEqual([
      { tenantId: 'acme', kind: 'audit', rowsDeleted: 1, store: aeDb.name },
      { tenantId: 'acme', kind: 'payloads', rowsDeleted: 1, store: aeDb.name },
    ]);
    expect(await stores.forRegion('ae').query(`SELECT event_id FROM payload_log WHERE tenant_id = 'acme'`)).toEqual([{ event_id: keptYoung.eventId }]);
    const ae = await idsIn(stores.forRegion('ae'), 'acme');
    expect(ae).not.toContain(expired.eventId);
    expect(ae).toContain(keptYoung.eventId);
    expect(await idsIn(stores.forRegion('eu'), 'euco')).toContain(keptLong.eventId);
  });
});
