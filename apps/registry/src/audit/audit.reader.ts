import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
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

interface AuditRow {
  event_id: string;
  request_id: string;
  residency_region: string;
  tenant_id: string;
  subject: string;
  model: string;
  version: number | null;
  pool: string | null;
  protocol: string;
  status: number;
  error: string | null;
  latency_ms: number;
  served_region: string | null;
  placement: string | null;
  occurred_at: Date;
  /** occurred_at to the microsecond, as the keyset compares it (a JS Date would cut it to the millisecond). */
  position_at: string;
}

const SELECT = `SELECT event_id, request_id, residency_region, tenant_id, subject, model, version, pool, protocol,
  status, error, latency_ms, served_region, placement, occurred_at,
  to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position_at
  FROM audit_log`;

/** The statement of one read: the spec EXPLAINs exactly what the reader runs. */
export function auditStatement(scope: AuditScope, filters: AuditFilters, after: AuditPosition | undefined, limit: number): { sql: string; params: unknown[] } {
  const { where, params } = auditConditions(scope, filters, after);
  return { sql: `${SELECT} WHERE ${where} ORDER BY ${AUDIT_ORDER} LIMIT ${Math.floor(limit)}`, params };
}

const viewOf = (row: AuditRow): AuditRecordView => ({
  eventId: row.event_id, requestId: row.request_id, residencyRegion: row.residency_region, tenantId: row.tenant_id,
  subject: row.subject, model: row.model, version: row.version, pool: row.pool, protocol: row.protocol,
  status: row.status, error: row.error, latencyMs: row.latency_ms, servedRegion: row.served_region,
  placement: row.placement, occurredAt: row.occurred_at.toISOString(),
});
const positionOf = (row: AuditRow): AuditPosition => ({ at: row.position_at, eventId: row.event_id });

/**
 * Reads `audit_log` newest first by keyset over (occurred_at, event_id), always within the
 * caller's scope: one page for the JSON listing, or batch after batch for an export.
 */
@Injectable()
export class AuditReader {
  private readonly cursors: AuditCursorCodec;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
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
    for (let left = query.limit ?? Number.POSITIVE_INFINITY; left > 0; ) {
      const size = Math.min(batchSize, left);
      const rows = await this.read(scope, query, after, size);
      if (rows.length > 0) yield rows.map(viewOf);
      if (rows.length < size) return;
      left -= rows.length;
      after = positionOf(rows[rows.length - 1]!);
    }
  }

  private read(scope: AuditScope, filters: AuditFilters, after: AuditPosition | undefined, limit: number): Promise<AuditRow[]> {
    const { sql, params } = auditStatement(scope, filters, after, limit);
    return this.db.query(sql, params);
  }
}
