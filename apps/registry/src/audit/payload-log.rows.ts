import { Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { PayloadBodySchema, type AuditEvent, type PayloadBody } from '@falaj/contracts';
import type { PayloadKeys } from '@falaj/dispatch';

const COLUMNS = ['event_id', 'residency_region', 'tenant_id', 'model', 'version', 'policy', 'request', 'response', 'occurred_at'] as const;
/** 9 parameters a row: far below Postgres' 65,535 per statement. */
const ROWS_PER_INSERT = 1000;
const logger = new Logger('PayloadLog');

/**
 * The payload body of an event, opened when it was sealed (`full`), or null when it carries
 * none or cannot be opened (no FALAJ_PAYLOAD_KEY here, or another one than the edge's): said,
 * and the audit row is written without it — never a raw payload anywhere but its region's rows.
 */
function bodyOf(event: AuditEvent, keys: PayloadKeys): PayloadBody | null {
  const record = event.payload;
  if (record === undefined) return null;
  if (record.policy !== 'full') return record.body;
  try {
    return PayloadBodySchema.parse(keys.openBody(event.tenantId, record.sealed, event.eventId));
  } catch (error) {
    logger.error({ eventId: event.eventId, tenantId: event.tenantId, reason: (error as Error).message.slice(0, 200) }, 'a full payload record could not be opened: not stored');
    return null;
  }
}

/**
 * Inserts the payload records of these events into `payload_log`, in the caller's transaction
 * (the one that writes their audit rows: a call has both or neither). The caller has made the
 * regions' partitions ready.
 */
export async function insertPayloadRows(tx: EntityManager, events: readonly AuditEvent[], keys: PayloadKeys): Promise<void> {
  const rows: unknown[][] = [];
  for (const e of events) {
    const body = bodyOf(e, keys);
    if (body === null) continue;
    rows.push([e.eventId, e.residencyRegion, e.tenantId, e.model, e.version, e.payload!.policy, JSON.stringify(body.request), JSON.stringify(body.response), e.occurredAt]);
  }
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const params: unknown[] = [];
    const values = rows.slice(i, i + ROWS_PER_INSERT).map((row) => `(${row.map((v) => `$${params.push(v)}`).join(', ')})`);
    await tx.query(`INSERT INTO payload_log (${COLUMNS.join(', ')}) VALUES ${values.join(', ')} ON CONFLICT DO NOTHING`, params);
  }
}
