import type { DataSource } from 'typeorm';
import { TERMINAL_STATES } from '../batch/batch-job.entity';
import { throwIfStopped } from './audit-expiry';

/** Jobs looked at per query; each is then expired in its own transaction. */
const JOBS_AT_ONCE = 100;

/**
 * The jobs' side of a pass: a job that ended before its tenant's cutoff keeps its record (state,
 * counts, times: what a GET shows) and loses its rows (inputs, results, errors) and chunks, with
 * expired_at set in the same transaction, so its results are either all there or 410 Gone.
 * A transaction holds one job's rows, at most FALAJ_BATCH_MAX_ROWS, locked by nobody else.
 */
export class JobExpiry {
  constructor(private readonly db: DataSource) {}

  /** Tenants with ended jobs whose rows are still kept (through the partial retention index). */
  async tenantIds(): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT DISTINCT tenant_id AS id FROM batch_jobs WHERE expired_at IS NULL AND finished_at IS NOT NULL ORDER BY 1`,
    );
    return rows.map((r) => r.id);
  }

  /** Expires the tenant's jobs that ended before the cutoff: the jobs expired and the rows deleted. */
  async expireBefore(tenantId: string, cutoff: Date, now: Date, signal?: AbortSignal): Promise<{ jobs: number; rows: number }> {
    const done = { jobs: 0, rows: 0 };
    for (;;) {
      throwIfStopped(signal);
      const ids: { id: string }[] = await this.db.query(
        `SELECT id FROM batch_jobs WHERE tenant_id = $1 AND expired_at IS NULL AND finished_at < $2 AND state = ANY($3)
          ORDER BY finished_at LIMIT ${JOBS_AT_ONCE}`,
        [tenantId, cutoff, TERMINAL_STATES],
      );
      for (const { id } of ids) {
        const rows = await this.expire(id, now);
        if (rows === null) continue;
        done.jobs++;
        done.rows += rows;
      }
      if (ids.length < JOBS_AT_ONCE) return done;
    }
  }

  /** The rows deleted, or null when another pass expired the job first. Also an erasure's (the subject's ended jobs). */
  expire(jobId: string, now: Date): Promise<number | null> {
    return this.db.transaction(async (tx) => {
      const [{ n: marked }]: { n: number }[] = await tx.query(
        `WITH m AS (UPDATE batch_jobs SET expired_at = $2 WHERE id = $1 AND expired_at IS NULL RETURNING 1) SELECT count(*)::int AS n FROM m`,
        [jobId, now],
      );
      if (marked === 0) return null;
      const [{ n }]: { n: number }[] = await tx.query(`WITH d AS (DELETE FROM batch_rows WHERE job_id = $1 RETURNING 1) SELECT count(*)::int AS n FROM d`, [jobId]);
      await tx.query(`DELETE FROM batch_chunks WHERE job_id = $1`, [jobId]);
      return n;
    });
  }
}
