import type { MigrationInterface, QueryRunner } from 'typeorm';
import { addMonths, monthStart, monthsAhead, monthsBetween } from '../../audit/audit-partition.policy';
import { AuditPartitions } from '../../audit/audit-partitions';

/** Legacy rows older than this many months land in the default sub-partition (DELETE reaches them there). */
const MONTHS_KEPT_APART = 122;

interface Child {
  name: string;
  bound: string;
}

/**
 * Retention (issue 13): each region's audit partition is sub-partitioned by RANGE on
 * occurred_at, a month each, with a default, so what expired platform-wide goes by dropping a
 * month. A unique key of a partitioned table must hold every partitioning column, so the key
 * becomes (event_id, residency_region, occurred_at): a redelivered event carries the time it was
 * stamped with, so ON CONFLICT still sees it again.
 *
 * Postgres cannot re-partition a table in place: each region partition is detached, a
 * partitioned one takes its place (indexes follow from the parent), its months are made, the
 * rows are copied over and the old table dropped, all in this migration's one transaction.
 */
export class AuditTimePartitions1765300000000 implements MigrationInterface {
  name = 'AuditTimePartitions1765300000000';

  async up(q: QueryRunner): Promise<void> {
    const partitions = new AuditPartitions(q, (work) => work(q));
    const legacy = await this.detachAll(q, 'r');
    await q.query(`ALTER TABLE "audit_log" DROP CONSTRAINT "audit_log_pkey"`);
    await q.query(`ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_pkey" PRIMARY KEY ("event_id", "residency_region", "occurred_at")`);
    const columns = await this.columns(q);
    for (const child of legacy) {
      await q.query(`CREATE TABLE "${child.name}" PARTITION OF "audit_log" ${child.bound} PARTITION BY RANGE ("occurred_at")`);
      await partitions.ensureDefault(q, child.name);
      const [span] = (await q.query(`SELECT min(occurred_at) AS first, max(occurred_at) AS last FROM "${child.name}_legacy"`)) as { first: Date | null; last: Date | null }[];
      const now = new Date();
      const months = span.first && span.last ? monthsBetween(span.first, span.last, MONTHS_KEPT_APART).filter((m) => m >= addMonths(monthStart(now), -MONTHS_KEPT_APART)) : [];
      for (const month of [...months, ...monthsAhead(now)]) await partitions.ensureMonth(child.name, month, q);
      await q.query(`INSERT INTO "audit_log" (${columns}) SELECT ${columns} FROM "${child.name}_legacy"`);
      await q.query(`DROP TABLE "${child.name}_legacy"`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    const partitioned = await this.detachAll(q, 'p');
    await q.query(`ALTER TABLE "audit_log" DROP CONSTRAINT "audit_log_pkey"`);
    await q.query(`ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_pkey" PRIMARY KEY ("event_id", "residency_region")`);
    const columns = await this.columns(q);
    for (const child of partitioned) {
      await q.query(`CREATE TABLE "${child.name}" PARTITION OF "audit_log" ${child.bound}`);
      // The old key is narrower: one row per event id and region is kept.
      await q.query(`INSERT INTO "audit_log" (${columns}) SELECT ${columns} FROM "${child.name}_legacy" ON CONFLICT DO NOTHING`);
      await q.query(`DROP TABLE "${child.name}_legacy" CASCADE`);
    }
  }

  /** Detaches audit_log's children of the kind (`r` plain, `p` partitioned), each renamed `<name>_legacy`. */
  private async detachAll(q: QueryRunner, relkind: 'r' | 'p'): Promise<Child[]> {
    const children = (await q.query(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'audit_log'::regclass AND c.relkind = $1 ORDER BY c.relname`,
      [relkind],
    )) as Child[];
    for (const child of children) {
      await q.query(`ALTER TABLE "audit_log" DETACH PARTITION "${child.name}"`);
      await q.query(`ALTER TABLE "${child.name}" RENAME TO "${child.name}_legacy"`);
    }
    return children;
  }

  /** The parent's columns by name: the copy does not depend on their order in the old tables. */
  private async columns(q: QueryRunner): Promise<string> {
    const rows = (await q.query(`SELECT attname AS name FROM pg_attribute WHERE attrelid = 'audit_log'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`)) as { name: string }[];
    return rows.map((r) => `"${r.name}"`).join(', ');
  }
}
