import { defaultSubPartitionName, monthBounds, monthOfPartition, monthPartitionName, monthsAhead, regionPartitionName } from './audit-partition.policy';

/** What runs SQL: a DataSource, a transaction's EntityManager or a migration's QueryRunner. */
export interface Sql {
  // The caller names the rows' shape (TypeORM's `query<T>`); a QueryRunner's untyped query fits too.
  query<T>(sql: string, params?: unknown[]): Promise<T>;
}
/** Runs the work in one transaction (a migration, already in one, runs it as it is). */
export type InTransaction = <T>(work: (sql: Sql) => Promise<T>) => Promise<T>;

export interface MonthPartition {
  parent: string;
  name: string;
  month: Date;
  /** Postgres' estimate (pg_class.reltuples; -1 before the table was first analysed). */
  rowsEstimate: number;
}

/** A partition DROP waits at most this long for its parent's lock, then gives up until the next pass. */
const DROP_LOCK_TIMEOUT = '2s';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;
/** Another registry made the same table at the same moment: it exists either way. */
const alreadyMade = (error: unknown) => ['42P07', '23505'].includes((error as { code?: string }).code ?? '');

/**
 * The audit log's partitions as DDL (the layout is audit-partition.policy's): a region's
 * partition with its default sub-partition, months made ahead, a month dropped. Used by the
 * writer (a new region), the retention pass and the migration that converted the table.
 */
export class AuditPartitions {
  constructor(
    private readonly sql: Sql,
    private readonly inTransaction: InTransaction,
  ) {}

  /** The region's partition, its default sub-partition (in one transaction: never one without the other), and this month and the next. */
  async ensureRegion(region: string, now = new Date()): Promise<string> {
    const table = regionPartitionName(region);
    await this.inTransaction(async (tx) => {
      await tx.query(`CREATE TABLE IF NOT EXISTS ${ident(table)} PARTITION OF audit_log FOR VALUES IN (${literal(region)}) PARTITION BY RANGE (occurred_at)`);
      await this.ensureDefault(tx, table);
    }).catch((error: unknown) => {
      if (!alreadyMade(error)) throw error;
    });
    for (const month of monthsAhead(now)) await this.ensureMonth(table, month);
    return table;
  }

  async ensureDefault(sql: Sql, parent: string): Promise<void> {
    await sql.query(`CREATE TABLE IF NOT EXISTS ${ident(defaultSubPartitionName(parent))} PARTITION OF ${ident(parent)} DEFAULT`);
  }

  /** The time-partitioned children of audit_log: every region's partition and the LIST default. */
  async regionTables(sql: Sql = this.sql): Promise<string[]> {
    const rows = await sql.query<{ name: string }[]>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'audit_log'::regclass AND c.relkind = 'p' ORDER BY c.relname`,
    );
    return rows.map((r) => r.name);
  }

  /** Every month partition under every region (the default sub-partitions are not months). */
  async monthPartitions(): Promise<MonthPartition[]> {
    const rows = await this.sql.query<{ parent: string; name: string; reltuples: number }[]>(
      `SELECT p.relname AS parent, c.relname AS name, c.reltuples::float8 AS reltuples
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE i.inhparent IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'audit_log'::regclass)
          AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
        ORDER BY p.relname, c.relname`,
    );
    return rows.flatMap((r) => {
      const month = monthOfPartition(r.name);
      return month ? [{ parent: r.parent, name: r.name, month, rowsEstimate: Math.max(0, Math.round(r.reltuples)) }] : [];
    });
  }

  /** Every table that holds rows: each region's months and default sub-partition (month null). */
  async leaves(): Promise<{ name: string; month: Date | null }[]> {
    const rows = await this.sql.query<{ name: string }[]>(`SELECT c.relname AS name FROM pg_partition_tree('audit_log') t JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf ORDER BY 1`);
    return rows.map((r) => ({ name: r.name, month: monthOfPartition(r.name) }));
  }

  /**
   * Makes the month's partition under `parent`; true when it made one. Rows of the month already
   * in the default sub-partition (written while the month had none) move into it first, under a
   * lock on the default so no row arrives there between the move and the attach.
   */
  async ensureMonth(parent: string, month: Date, sql: Sql = this.sql): Promise<boolean> {
    const name = monthPartitionName(parent, month);
    const [{ exists }] = await sql.query<{ exists: boolean }[]>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [name]);
    if (exists) return false;
    const { from, to } = monthBounds(month);
    const range = `FOR VALUES FROM (${literal(from.toISOString())}) TO (${literal(to.toISOString())})`;
    const fallback = ident(defaultSubPartitionName(parent));
    const stray = await sql.query<unknown[]>(`SELECT 1 FROM ${fallback} WHERE occurred_at >= $1 AND occurred_at < $2 LIMIT 1`, [from, to]);
    try {
      if (stray.length === 0) {
        try {
          await sql.query(`CREATE TABLE IF NOT EXISTS ${ident(name)} PARTITION OF ${ident(parent)} ${range}`);
          return true;
        } catch (error) {
          // 23514: a row of the month reached the default since it was looked at; move it as below.
          if ((error as { code?: string }).code !== '23514') throw error;
        }
      }
      await this.inTransaction(async (tx) => {
        await tx.query(`LOCK TABLE ${fallback} IN ACCESS EXCLUSIVE MODE`);
        await tx.query(`CREATE TABLE ${ident(name)} (LIKE ${ident(parent)} INCLUDING DEFAULTS)`);
        await tx.query(`WITH moved AS (DELETE FROM ${fallback} WHERE occurred_at >= $1 AND occurred_at < $2 RETURNING *) INSERT INTO ${ident(name)} SELECT * FROM moved`, [from, to]);
        await tx.query(`ALTER TABLE ${ident(parent)} ATTACH PARTITION ${ident(name)} ${range}`);
      });
    } catch (error) {
      if (!alreadyMade(error)) throw error;
      return false;
    }
    return true;
  }

  /** Drops a month partition; false when its parent's lock was not had within the timeout (tried again next pass). */
  async dropMonth(name: string): Promise<boolean> {
    try {
      await this.inTransaction(async (tx) => {
        await tx.query(`SET LOCAL lock_timeout = '${DROP_LOCK_TIMEOUT}'`);
        await tx.query(`DROP TABLE IF EXISTS ${ident(name)}`);
      });
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === '55P03') return false;
      throw error;
    }
  }
}
