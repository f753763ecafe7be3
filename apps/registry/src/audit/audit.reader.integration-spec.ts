import { randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../database/data-source.options';
import { databaseConnection } from '../database/database-connection';
import { ensureDatabase } from '../database/ensure-database';
import type { RegistryConfig } from '../registry.config';
import { RegionStoreConnections } from '../region-stores/region-store.connections';
import { openExport, type AuditRecordView } from './audit-export.format';
import type { AuditScope } from './audit-query.policy';
import { AuditQuerySchema } from './audit.dto';
import { AUDIT_EXPORT_BATCH, AuditReader, auditStatement, type AuditRead } from './audit.reader';

/**
 * Real Postgres, nothing faked: the migrated, region-partitioned audit_log of a database of this
 * run, rows inserted as the writer inserts them, and the reader the controller uses.
 */
const SERVER = process.env.FALAJ_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const BULK = 100_000;

interface Seed {
  tenantId: string;
  model?: string;
  version?: number | null;
  status?: number;
  protocol?: string;
  requestId?: string;
  error?: string | null;
  subject?: string;
  region?: string;
  /** Postgres' own text of the instant, to the microsecond. */
  at: string;
}

describe(AuditReader.name, () => {
  const database = `falaj_audit_read_it_${randomBytes(4).toString('hex')}`;
  const connection = databaseConnection({ url: `${SERVER}/${database}`, sslMode: 'disable' });
  let db: DataSource;
  let reader: AuditReader;
  const acme: AuditScope = { tenantId: 'acme' };
  const globex: AuditScope = { tenantId: 'globex' };
  const everyone: AuditScope = { tenantId: null };
  const q = (query: Record<string, string> = {}): AuditRead => AuditQuerySchema.parse(query);

  const insert = async (seeds: Seed[]): Promise<string[]> => {
    const ids = seeds.map(() => randomUUID());
    for (let i = 0; i < seeds.length; i += 500) {
      const params: unknown[] = [];
      const rows = seeds.slice(i, i + 500).map((s, j) => {
        const values = [
          ids[i + j],
          s.requestId ?? `req-${i + j}`,
          s.region ?? 'ae',
          s.tenantId,
          s.subject ?? 'svc',
          s.model ?? 'scorer',
          s.version === undefined ? 1 : s.version,
          'cpu.ae',
          s.protocol ?? 'rest',
          s.status ?? 200,
          s.error ?? null,
          1.5,
          'ae',
          null,
          s.at,
        ];
        return `(${values.map((v) => `$${params.push(v)}`).join(', ')})`;
      });
      await db.query(
        `INSERT INTO audit_log (event_id, request_id, residency_region, tenant_id, subject, model, version, pool, protocol, status, error, latency_ms, served_region, placement, occurred_at) VALUES ${rows.join(', ')}`,
        params,
      );
    }
    return ids;
  };
  /** Every page of a query, following nextCursor; `between` runs before each next page. */
  const allPages = async (scope: AuditScope, query: Record<string, string>, between: () => Promise<unknown> = async () => undefined) => {
    const seen: AuditRecordView[] = [];
    let pages = 0;
    for (let cursor: string | undefined; ;) {
      const page = await reader.page(scope, q({ ...query, ...(cursor ? { cursor } : {}) }));
      pages++;
      seen.push(...page.records);
      if (!page.nextCursor) return { seen, pages };
      cursor = page.nextCursor;
      await between();
    }
  };
  const text = async (body: Readable): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as string));
    return Buffer.concat(chunks).toString('utf8');
  };
  const refusedWith = async (promise: Promise<unknown>, status: number) => expect(promise).rejects.toMatchObject({ status });

  // Time runs backwards from here: row i is i milliseconds and (i % 7) microseconds older.
  const base = Date.parse('2026-12-01T12:00:00Z');
  const at = (i: number) => `${new Date(base - i).toISOString().slice(0, -1)}${String(((i % 7) + 7) % 7).padStart(3, '0')}Z`;
  let acmeIds: string[];

  beforeAll(async () => {
    await ensureDatabase(connection);
    db = new DataSource({ ...dataSourceOptions(connection), logging: false });
    await db.initialize();
    for (const region of ['ae', 'eu']) await db.query(`CREATE TABLE audit_log_${region} PARTITION OF audit_log FOR VALUES IN ('${region}')`);
    reader = new AuditReader(RegionStoreConnections.catalogOnly(db), { issuer: { keyEncryptionKey: randomBytes(32).toString('base64url') } } as RegistryConfig);
    // 300 acme rows over two regions, versions 1-3, every status class, three protocols; groups of
    // three share one instant exactly, so only event_id orders them. 120 globex rows among them.
    const protocols = ['rest', 'grpc', 'kafka'];
    acmeIds = await insert(
      Array.from({ length: 300 }, (_, i) => ({
        tenantId: 'acme',
        region: i % 2 ? 'eu' : 'ae',
        version: (i % 3) + 1,
        status: [200, 404, 429, 503, 500][i % 5],
        protocol: protocols[i % 3],
        at: at(Math.floor(i / 3) * 3),
        model: i < 250 ? 'scorer' : 'ranker',
        requestId: i === 42 ? 'needle' : `acme-${i}`,
      })),
    );
    await insert(Array.from({ length: 120 }, (_, i) => ({ tenantId: 'globex', at: at(i * 2 + 1), requestId: i === 0 ? 'needle' : `globex-${i}` })));
  }, 60_000);

  afterAll(async () => {
    await db?.destroy();
    const admin = new Client({ connectionString: `${SERVER}/postgres` });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  });

  describe('page', () => {
    it('pages through every row of the tenant once, newest first, while rows are added between pages', async () => {
      let added = 0;
      const { seen, pages } = await allPages(acme, { limit: '37' }, async () => {
        // New calls (newer than any page) and a late arrival older than the cursor, of both tenants.
        await insert([
          { tenantId: 'acme', at: at(-1000 - added) },
          { tenantId: 'globex', at: at(-1000 - added) },
          { tenantId: 'acme', at: at(5000 + added) },
        ]);
        added++;
      });
      const ids = seen.map((r) => r.eventId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expect.arrayContaining(acmeIds));
      // What else came is only the late arrivals behind the cursor, never the newer rows.
      expect(seen.length).toBe(300 + added);
      expect(seen.every((r) => r.tenantId === 'acme')).toBe(true);
      expect(pages).toBeGreaterThanOrEqual(9);
      for (let i = 1; i < seen.length; i++) {
        const [a, b] = [seen[i - 1], seen[i]];
        expect(a.occurredAt > b.occurredAt || (a.occurredAt === b.occurredAt && a.eventId > b.eventId)).toBe(true);
      }
      await db.query(`DELETE FROM audit_log WHERE occurred_at > $1 OR occurred_at < $2`, [new Date(base).toISOString(), new Date(base - 4000).toISOString()]);
    });

    it('says where the last page is: no cursor after it, none on an empty answer', async () => {
      const first = await reader.page(acme, q({ limit: '300' }));
      expect(first.records).toHaveLength(300);
      expect(first.nextCursor).toBeNull();
      expect(await reader.page(acme, q({ model: 'absent' }))).toEqual({ records: [], nextCursor: null });
    });

    it('applies each filter, and pages within it', async () => {
      const all = (await reader.page(acme, q({ limit: '1000' }))).records;
      const expectOnly = async (query: Record<string, string>, keep: (r: AuditRecordView) => boolean) => {
        const { seen } = await allPages(acme, { ...query, limit: '16' });
        expect(seen.map((r) => r.eventId)).toEqual(all.filter(keep).map((r) => r.eventId));
        expect(seen.length).toBeGreaterThan(0);
      };
      await expectOnly({ model: 'ranker' }, (r) => r.model === 'ranker');
      await expectOnly({ version: '2' }, (r) => r.version === 2);
      await expectOnly({ status: '429' }, (r) => r.status === 429);
      await expectOnly({ status: '5xx' }, (r) => r.status >= 500);
      await expectOnly({ status: '4XX', protocol: 'grpc' }, (r) => r.status >= 400 && r.status < 500 && r.protocol === 'grpc');
      await expectOnly({ requestId: 'needle' }, (r) => r.requestId === 'needle');
      // from inclusive, to exclusive; the same instant in another offset.
      const from = all[200].occurredAt;
      const to = all[100].occurredAt;
      await expectOnly({ from, to: to.replace('Z', '+00:00') }, (r) => r.occurredAt >= from && r.occurredAt < to);
      await expectOnly({ model: 'scorer', version: '3', status: '2xx', from }, (r) => r.model === 'scorer' && r.version === 3 && r.status < 300 && r.occurredAt >= from);
    });

    it("keeps each tenant to its rows, and gives the platform admin every tenant's or the one it names", async () => {
      const ofGlobex = (await allPages(globex, { limit: '50' })).seen;
      expect(ofGlobex).toHaveLength(120);
      expect(ofGlobex.every((r) => r.tenantId === 'globex')).toBe(true);
      expect((await reader.page(acme, q({ requestId: 'needle' }))).records.map((r) => r.tenantId)).toEqual(['acme']);
      const all = (await allPages(everyone, { limit: '100' })).seen;
      expect(all).toHaveLength(420);
      expect(new Set(all.map((r) => r.tenantId))).toEqual(new Set(['acme', 'globex']));
      expect((await allPages({ tenantId: 'globex' }, { limit: '1000' })).seen.map((r) => r.eventId)).toEqual(ofGlobex.map((r) => r.eventId));
    });

    it("refuses another tenant's cursor, another query's and an altered one with 400, reading nothing", async () => {
      const { nextCursor } = await reader.page(acme, q({ limit: '10', model: 'scorer' }));
      expect(nextCursor).toEqual(expect.any(String));
      await refusedWith(reader.page(globex, q({ limit: '10', model: 'scorer', cursor: nextCursor! })), 400);
      await refusedWith(reader.page(everyone, q({ limit: '10', model: 'scorer', cursor: nextCursor! })), 400);
      await refusedWith(reader.page(acme, q({ limit: '10', model: 'ranker', cursor: nextCursor! })), 400);
      await refusedWith(reader.page(acme, q({ limit: '10', cursor: nextCursor! })), 400);
      const [body, mac] = nextCursor!.split('.');
      const forged = Buffer.from(JSON.stringify(['2099-01-01T00:00:00.000000Z', randomUUID()])).toString('base64url');
      await refusedWith(reader.page(acme, q({ model: 'scorer', cursor: `${forged}.${mac}` })), 400);
      await refusedWith(reader.page(acme, q({ model: 'scorer', cursor: `${body}.${mac.slice(1)}A` })), 400);
      // The same cursor goes on with another page size, and with an export.
      expect((await reader.page(acme, q({ limit: '5', model: 'scorer', cursor: nextCursor! }))).records).toHaveLength(5);
    });
  });

  describe('batches', () => {
    it('exports CSV with every text escaped and formula-like cells made text', async () => {
      const hostile = ['=HYPERLINK("http://evil","x")', 'a,b "c"\r\nd', '+1', '-1', '@SUM(A1)', 'plain'];
      await insert(hostile.map((error, i) => ({ tenantId: 'csv-co', error, subject: error, requestId: `csv-${i}`, at: at(i) })));
      const csv = await text(await openExport(reader.batches({ tenantId: 'csv-co' }, q({ format: 'csv' })), 'csv'));
      const rows = parseCsv(csv);
      expect(rows[0]).toEqual([
        'occurredAt',
        'eventId',
        'requestId',
        'tenantId',
        'residencyRegion',
        'subject',
        'model',
        'version',
        'pool',
        'protocol',
        'status',
        'error',
        'latencyMs',
        'servedRegion',
        'placement',
      ]);
      expect(rows.slice(1).map((r) => [r[2], r[5], r[11]])).toEqual(hostile.map((h, i) => [`csv-${i}`, /^[=+\-@]/.test(h) ? `'${h}` : h, /^[=+\-@]/.test(h) ? `'${h}` : h]));
      expect(csv.endsWith('\r\n')).toBe(true);
    });

    it('exports NDJSON of the same rows as the pages, in the same order, and only the header when nothing matches', async () => {
      const pages = (await allPages(acme, { limit: '100', status: '5xx' })).seen;
      const ndjson = await text(await openExport(reader.batches(acme, q({ format: 'ndjson', status: '5xx' }), 7), 'ndjson'));
      expect(
        ndjson
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line) as AuditRecordView),
      ).toEqual(pages);
      expect(await text(await openExport(reader.batches(acme, q({ format: 'ndjson', model: 'absent' })), 'ndjson'))).toBe('');
      expect(await text(await openExport(reader.batches(acme, q({ format: 'csv', model: 'absent' })), 'csv'))).toMatch(/^occurredAt,[^\n]*\r\n$/);
      // A limit bounds an export; a page's cursor resumes one.
      const limited = await text(await openExport(reader.batches(acme, q({ format: 'ndjson', limit: '15' }), 4), 'ndjson'));
      expect(limited.trimEnd().split('\n')).toHaveLength(15);
      const { nextCursor } = await reader.page(acme, q({ limit: '290' }));
      const rest = await text(await openExport(reader.batches(acme, q({ format: 'ndjson', cursor: nextCursor! })), 'ndjson'));
      expect(rest.trimEnd().split('\n')).toHaveLength(10);
      await refusedWith(openExport(reader.batches(globex, q({ format: 'ndjson', cursor: nextCursor! })), 'ndjson'), 400);
    });

    it(`streams ${BULK.toLocaleString('en')} rows a batch at a time, reading ahead one batch at most, on the keyset index`, async () => {
      await db.query(
        `INSERT INTO audit_log (event_id, request_id, residency_region, tenant_id, subject, model, version, pool, protocol, status, error, latency_ms, served_region, placement, occurred_at)
         SELECT gen_random_uuid(), 'bulk-' || g, 'ae', 'bulk', 'svc', 'scorer', 1, 'cpu.ae', 'rest', 200, NULL, 1.0, 'ae', NULL, $1::timestamptz - g * interval '1 millisecond'
           FROM generate_series(1, ${BULK}) g`,
        [new Date(base).toISOString()],
      );
      await db.query('ANALYZE audit_log');

      // The plans the reader runs. Over a large set (an export of 100k rows, the platform admin's
      // read) every partition is read by an index range scan with the keyset as its condition,
      // merged in order: no sort, no sequential scan. A tenant of a few rows among many is read
      // through an index led by its tenant id (which one, for 150 rows, is the planner's call).
      const plan = async (scope: AuditScope) => {
        const { sql, params } = auditStatement(scope, {}, { at: at(150), eventId: randomUUID() }, AUDIT_EXPORT_BATCH);
        const [
          {
            'QUERY PLAN': [{ Plan: root }],
          },
        ] = await db.query<[{ 'QUERY PLAN': [{ Plan: PlanNode }] }]>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
        const nodes: PlanNode[] = [];
        const walk = (node: PlanNode) => void (nodes.push(node), node.Plans?.forEach(walk));
        walk(root);
        return { types: nodes.map((n) => n['Node Type']), ae: nodes.find((n) => n['Relation Name'] === 'audit_log_ae')! };
      };
      expect((await plan(acme)).ae).toMatchObject({
        'Node Type': 'Index Scan',
        'Index Name': expect.stringMatching(/^audit_log_ae_tenant_id_/),
        'Index Cond': expect.stringContaining("(tenant_id)::text = 'acme'"),
      });
      for (const [scope, index] of [
        [{ tenantId: 'bulk' }, /^audit_log_ae_(tenant_id_)?occurred_at_event_id_idx$/],
        [everyone, /^audit_log_ae_occurred_at_event_id_idx$/],
      ] as const) {
        const { types, ae } = await plan(scope);
        expect(types.filter((t) => /Sort|Seq Scan/.test(t))).toEqual([]);
        expect(types).toContain('Merge Append');
        expect(ae).toMatchObject({ 'Node Type': 'Index Scan', 'Index Name': expect.stringMatching(index), 'Index Cond': expect.stringContaining('ROW(occurred_at, event_id) < ROW(') });
      }

      let pulled = 0;
      const source = reader.batches({ tenantId: 'bulk' }, q({ format: 'csv' }));
      async function* counted() {
        for await (const batch of source) {
          pulled++;
          yield batch;
        }
      }
      const started = performance.now();
      const heapBefore = process.memoryUsage().heapUsed;
      const body = await openExport(counted(), 'csv');
      const iterator = body[Symbol.asyncIterator]();
      await iterator.next(); // the header: the client has taken nothing more
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(pulled).toBeLessThanOrEqual(3);

      let lines = 0;
      let bytes = 0;
      let peakHeap = 0;
      for (let chunk = await iterator.next(); !chunk.done; chunk = await iterator.next()) {
        const part = chunk.value as string;
        bytes += Buffer.byteLength(part);
        for (let i = part.indexOf('\n'); i !== -1; i = part.indexOf('\n', i + 1)) lines++;
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed - heapBefore);
      }
      const seconds = (performance.now() - started) / 1000;
      expect(lines).toBe(BULK);
      expect(pulled).toBe(BULK / AUDIT_EXPORT_BATCH);

      console.log(
        `audit CSV export of ${BULK} rows (${(bytes / 1e6).toFixed(1)} MB) from Postgres: ${seconds.toFixed(2)} s = ${Math.round(BULK / seconds)} rows/s; heap growth peak ${(peakHeap / 1e6).toFixed(1)} MB`,
      );
    }, 120_000);
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

/** RFC 4180, enough to read back what the export wrote. */
function parseCsv(csv: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i];
    if (quoted) {
      if (c === '"' && csv[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && csv[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}
