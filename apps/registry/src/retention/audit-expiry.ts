import type { DataSource } from 'typeorm';
import { monthsAhead } from '../audit/audit-partition.policy';
import { AuditPartitions, type MonthPartition } from '../audit/audit-partitions';

/** Stops a pass between two statements (the registry is shutting down). */
export function throwIfStopped(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Error('retention pass stopped: the registry is shutting down');
}

/**
 * The audit log's side of a pass: months made ahead, expired months dropped whole, and each
 * tenant's expired rows deleted a bounded batch at a time (each DELETE its own short
 * transaction, through the tenant's (tenant_id, occurred_at) index).
 */
export class AuditExpiry {
  private readonly partitions: AuditPartitions;

  constructor(private readonly db: DataSource) {
    this.partitions = new AuditPartitions(db, (work) => db.transaction((tx) => work(tx)));
  }

  /** This month and the next under every region (and the LIST default): the names made. */
  async ensureAhead(now: Date): Promise<string[]> {
    const made: string[] = [];
    for (const table of await this.partitions.regionTables()) {
      for (const month of monthsAhead(now)) if (await this.partitions.ensureMonth(table, month)) made.push(`${table}:${month.toISOString().slice(0, 7)}`);
    }
    return made;
  }

  monthPartitions(): Promise<MonthPartition[]> {
    return this.partitions.monthPartitions();
  }

  /** False when its lock was not had in time: the month stays for the next pass (its rows go by DELETE meanwhile). */
  drop(partition: MonthPartition): Promise<boolean> {
    return this.partitions.dropMonth(partition.name);
  }

  /**
   * The tenant ids that have audit rows, or payload records, by a loose index scan over the
   * table's (tenant_id, occurred_at) index (one probe per tenant, per partition): never a scan of the rows.
   */
  async tenantIds(table: 'audit_log' | 'payload_log' = 'audit_log'): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `WITH RECURSIVE t(id) AS (
         (SELECT tenant_id FROM ${table} ORDER BY tenant_id LIMIT 1)
         UNION ALL
         SELECT (SELECT tenant_id FROM ${table} WHERE tenant_id > t.id ORDER BY tenant_id LIMIT 1) FROM t WHERE t.id IS NOT NULL)
       SELECT id FROM t WHERE id IS NOT NULL`,
    );
    return rows.map((r) => r.id);
  }

  /**
   * Deletes the tenant's payload records stamped before the cutoff (the audit's: a record goes
   * with its call's audit row at the latest), `batchRows` per statement, through the tenant's
   * (tenant_id, occurred_at) index; the records deleted. The payload log is partitioned by region
   * only, so it has no month to drop: every expired record goes by DELETE.
   */
  async deletePayloadsBefore(tenantId: string, cutoff: Date, batchRows: number, signal?: AbortSignal): Promise<number> {
    let total = 0;
    for (;;) {
      throwIfStopped(signal);
      const [{ n }]: { n: number }[] = await this.db.query(
        `WITH gone AS (
           DELETE FROM payload_log WHERE (event_id, residency_region) IN (
             SELECT event_id, residency_region FROM payload_log WHERE tenant_id = $1 AND occurred_at < $2 LIMIT $3)
           RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [tenantId, cutoff, batchRows],
      );
      total += n;
      if (n < batchRows) return total;
    }
  }

  /**
   * Deletes the tenant's rows stamped before the cutoff, `batchRows` per statement; the rows
   * deleted. Table by table (a month that started before the cutoff, or a default), by ctid: the
   * tenant's index finds a batch and a TID scan deletes it. A DELETE on the parent by key would
   * hash-join every old month's rows, for every batch.
   */
  async deleteBefore(tenantId: string, cutoff: Date, batchRows: number, signal?: AbortSignal): Promise<number> {
    let total = 0;
    for (const leaf of await this.partitions.leaves()) {
      if (leaf.month && leaf.month >= cutoff) continue;
      const table = `"${leaf.name.replace(/"/g, '""')}"`;
      for (;;) {
        throwIfStopped(signal);
        const [{ n }]: { n: number }[] = await this.db.query(
          `WITH gone AS (
             DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE tenant_id = $1 AND occurred_at < $2 LIMIT $3))
             RETURNING 1)
           SELECT count(*)::int AS n FROM gone`,
          [tenantId, cutoff, batchRows],
        );
        total += n;
        if (n < batchRows) break;
      }
    }
    return total;
  }
}
