import type { DataSource } from 'typeorm';
import { TERMINAL_STATES } from '../batch/batch-job.states';
import { jobRegion } from '../batch/job-row';
import type { RegionStoreConnections } from '../region-stores/region-store.connections';
import { throwIfStopped } from './audit-expiry';

/** Jobs looked at per query; each is then expired in its own transaction. */
const JOBS_AT_ONCE = 100;

/** What a pass (or an erasure) removed of a tenant's jobs in one region store. */
export interface JobsRemoved {
  store: string;
  jobs: number;
  rows: number;
}

/**
 * The jobs' side of a pass: a job that ended before its tenant's cutoff keeps its record (state,
 * counts, times: what a GET shows) and loses its rows (inputs, results, errors; in its region's
 * store) and chunks. The record is marked expired_at in a catalog transaction that commits only
 * after the rows' DELETE has: its results are 410 Gone once they are gone, and a registry that
 * dies between the two leaves a job that the next pass expires again (finding no rows).
 * A transaction holds one job's rows, at most FALAJ_BATCH_MAX_ROWS, locked by nobody else.
 */
export class JobExpiry {
  constructor(
    private readonly db: DataSource,
    private readonly stores: RegionStoreConnections,
  ) {}

  /** Tenants with ended jobs whose rows are still kept (through the partial retention index). */
  async tenantIds(): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(`SELECT DISTINCT tenant_id AS id FROM batch_jobs WHERE expired_at IS NULL AND finished_at IS NOT NULL ORDER BY 1`);
    return rows.map((r) => r.id);
  }

  /** Expires the tenant's jobs that ended before the cutoff: the jobs expired and the rows deleted, by store. */
  async expireBefore(tenantId: string, cutoff: Date, now: Date, signal?: AbortSignal): Promise<JobsRemoved[]> {
    const done = new Map<string, JobsRemoved>();
    for (;;) {
      throwIfStopped(signal);
      const jobs: { id: string; residency: string | null }[] = await this.db.query(
        `SELECT id, residency FROM batch_jobs WHERE tenant_id = $1 AND expired_at IS NULL AND finished_at < $2 AND state = ANY($3)
          ORDER BY finished_at LIMIT ${JOBS_AT_ONCE}`,
        [tenantId, cutoff, TERMINAL_STATES],
      );
      for (const job of jobs) addRemoved(done, await this.expire(job, now));
      if (jobs.length < JOBS_AT_ONCE) return [...done.values()];
    }
  }

  /** The rows deleted and from which store, or null when another pass expired the job first. Also an erasure's (the subject's ended jobs). */
  expire(job: { id: string; residency: string | null }, now: Date): Promise<JobsRemoved | null> {
    const store = this.stores.forRegion(jobRegion(job));
    return this.db.transaction(async (tx) => {
      const [{ n: marked }]: { n: number }[] = await tx.query(`WITH m AS (UPDATE batch_jobs SET expired_at = $2 WHERE id = $1 AND expired_at IS NULL RETURNING 1) SELECT count(*)::int AS n FROM m`, [
        job.id,
        now,
      ]);
      if (marked === 0) return null;
      const [{ n }]: { n: number }[] = await store.query(`WITH d AS (DELETE FROM batch_rows WHERE job_id = $1 RETURNING 1) SELECT count(*)::int AS n FROM d`, [job.id]);
      await tx.query(`DELETE FROM batch_chunks WHERE job_id = $1`, [job.id]);
      return { store: this.stores.nameOf(store), jobs: 1, rows: n };
    });
  }
}

export function addRemoved(into: Map<string, JobsRemoved>, removed: JobsRemoved | null): void {
  if (removed === null) return;
  const sum = into.get(removed.store) ?? { store: removed.store, jobs: 0, rows: 0 };
  into.set(removed.store, { store: removed.store, jobs: sum.jobs + removed.jobs, rows: sum.rows + removed.rows });
}
