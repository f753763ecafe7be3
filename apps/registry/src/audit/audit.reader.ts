import { Inject, Injectable } from '@nestjs/common';
import { RegionStoreConnections } from '../region-stores/region-store.connections';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { AuditCursorCodec } from './audit-cursor';
import type { AuditRecordView } from './audit-export.format';
import { AUDIT_ORDER, auditConditions, cursorBinding, type AuditFilters, type AuditPosition, type AuditScope } from './audit-query.policy';

/** Rows of a page when the query names no limit. */
export const AUDIT_PAGE_DEFAULT = 100;
/** Rows an export reads per statement: what it holds in memory at once, whatever it streams in all. */
export const AUDIT_EXPORT_BATCH = 1000;

export interface AuditRead extends AuditFilters {
  cursor?: string;
  limit?: number;
}

export interface AuditPage {
  records: AuditRecordView[];
  /** Give it back as `cursor` for the next (older) page; null on the last. */
  nextCursor: string | null;
}

/** A row as selected: the view's fields, but the time still a Date, and the keyset's position. */
type AuditRow = Omit<AuditRecordView, 'occurredAt'> & {
  occurredAt: Date;
  /** occurred_at to the microsecond, as the keyset compares it (a JS Date would cut it to the millisecond). */
  positionAt: string;
};

const SELECT = `SELECT event_id AS "eventId", request_id AS "requestId", residency_region AS "residencyRegion",
  tenant_id AS "tenantId", subject, model, version, pool, protocol, status, error, latency_ms AS "latencyMs",
  served_region AS "servedRegion", placement, occurred_at AS "occurredAt",
  to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "positionAt"
  FROM audit_log`;

/** The statement of one read: the spec EXPLAINs exactly what the reader runs. */
export function auditStatement(scope: AuditScope, filters: AuditFilters, after: AuditPosition | undefined, limit: number): { sql: string; params: unknown[] } {
  const { where, params } = auditConditions(scope, filters, after);
  return { sql: `${SELECT} WHERE ${where} ORDER BY ${AUDIT_ORDER} LIMIT ${Math.floor(limit)}`, params };
}

/** AUDIT_ORDER in memory, for rows of several stores: newest first, then the greater event id. */
const newestFirst = (a: AuditRow, b: AuditRow): number => (a.positionAt === b.positionAt ? (a.eventId < b.eventId ? 1 : a.eventId > b.eventId ? -1 : 0) : a.positionAt < b.positionAt ? 1 : -1);

const viewOf = ({ positionAt: _, occurredAt, ...row }: AuditRow): AuditRecordView => ({ ...row, occurredAt: occurredAt.toISOString() });
const positionOf = (row: AuditRow): AuditPosition => ({ at: row.positionAt, eventId: row.eventId });

/**
 * Reads `audit_log` newest first by keyset over (occurred_at, event_id), always within the
 * caller's scope: one page for the JSON listing, or batch after batch for an export. With
 * regional stores, each store is read with the same keyset and limit and the rows merged in the
 * same order, so a cursor is one position across every store and a page never skips a row.
 */
@Injectable()
export class AuditReader {
  private readonly cursors: AuditCursorCodec;

  constructor(
    @Inject(RegionStoreConnections) private readonly stores: RegionStoreConnections,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
  ) {
    this.cursors = new AuditCursorCodec(config.issuer.keyEncryptionKey);
  }

  async page(scope: AuditScope, query: AuditRead): Promise<AuditPage> {
    const binding = cursorBinding(scope, query);
    const after = query.cursor === undefined ? undefined : this.cursors.decode(query.cursor, binding);
    const limit = query.limit ?? AUDIT_PAGE_DEFAULT;
    // One more than asked: whether there is a next page, without a count.
    const rows = await this.read(scope, query, after, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { records: page.map(viewOf), nextCursor: rows.length > limit && last ? this.cursors.encode(positionOf(last), binding) : null };
  }

  /** Every matching row (at most `limit`), newest first, one keyset statement per batch. Each row once, even as rows are added meanwhile. */
  async *batches(scope: AuditScope, query: AuditRead, batchSize = AUDIT_EXPORT_BATCH): AsyncGenerator<AuditRecordView[]> {
    let after = query.cursor === undefined ? undefined : this.cursors.decode(query.cursor, cursorBinding(scope, query));
    for (let left = query.limit ?? Number.POSITIVE_INFINITY; left > 0;) {
      const size = Math.min(batchSize, left);
      const rows = await this.read(scope, query, after, size);
      if (rows.length > 0) yield rows.map(viewOf);
      if (rows.length < size) return;
      left -= rows.length;
      after = positionOf(rows[rows.length - 1]);
    }
  }

  private async read(scope: AuditScope, filters: AuditFilters, after: AuditPosition | undefined, limit: number): Promise<AuditRow[]> {
    const { sql, params } = auditStatement(scope, filters, after, limit);
    const stores = this.stores.all();
    if (stores.length === 1) return stores[0].db.query(sql, params);
    const rows = (await Promise.all(stores.map((store) => store.db.query<AuditRow[]>(sql, params)))).flat();
    return rows.sort(newestFirst).slice(0, limit);
  }
}
