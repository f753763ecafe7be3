import { createHmac, hkdfSync } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { isStorableText, toStorableText } from '@falaj/contracts';
import { TERMINAL_STATES } from '../batch/batch-job.states';
import { RegionStoreConnections } from '../region-stores/region-store.connections';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { JobExpiry, addRemoved, type JobsRemoved } from '../retention/job-expiry';
import { ErasureRequestEntity, type ErasureCounts, type ErasureStoreCounts } from './erasure-request.entity';

/** What to erase, its tenant decided (erasureTenantOf). */
export interface ErasureOrder {
  tenantId: string;
  subject?: string;
  requestIds?: string[];
  requestedBy: string;
}

/**
 * Erasure on request (GDPR Art. 17, UAE PDPL's right to erasure): a data subject's audit rows
 * with their payload records, and the rows of the jobs the subject submitted, in one tenant, in
 * every region store (docs/audit.md#regional-audit-stores-each-regions-audit-in-its-own-database). The audit's side is one transaction per
 * store, so a store's count never says more or less than was removed there; should a store fail,
 * the erasure fails with no record, and asking again removes what is left.
 * The ended jobs lose their rows as retention expires them (the job's record stays, its results
 * are 410 Gone); a job still queued or running is left and counted, since its rows are in use.
 */
@Injectable()
export class ErasureService {
  private readonly logger = new Logger(ErasureService.name);
  private readonly jobs: JobExpiry;
  private readonly subjectKey: Buffer;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
    @Inject(RegionStoreConnections) private readonly stores: RegionStoreConnections,
  ) {
    this.jobs = new JobExpiry(db, stores);
    this.subjectKey = Buffer.from(hkdfSync('sha256', config.issuer.keyEncryptionKey, 'falaj-erasure-subject', 'hmac-sha256 v1', 32));
  }

  async erase(order: ErasureOrder): Promise<ErasureRequestEntity> {
    // As the audit stored them: outside text escaped and cut to its column (AuditEventSchema).
    const subject = order.subject === undefined ? null : toStorableText(order.subject, 200) || '-';
    const requestIds = (order.requestIds ?? []).map((id) => toStorableText(id, 200) || '-');
    const stores: ErasureStoreCounts[] = [];
    for (const store of this.stores.all()) {
      const removed = await store.db.transaction((tx) => this.eraseAudit(tx, order.tenantId, subject, requestIds));
      stores.push({ store: store.name, regions: [...store.regions], ...removed, jobRows: 0 });
    }
    // Jobs keep the submitter's subject as its token said it (not escaped): one Postgres cannot
    // store (a NUL) submitted no job.
    const jobs = order.subject === undefined || !isStorableText(order.subject) ? { removed: [], jobsNotEnded: 0 } : await this.eraseJobs(order.tenantId, order.subject);
    for (const { store, rows } of jobs.removed) stores.find((s) => s.store === store)!.jobRows += rows;
    const total = (key: 'auditRows' | 'payloadRows' | 'jobRows') => stores.reduce((n, s) => n + s[key], 0);
    const counts: ErasureCounts = {
      auditRows: total('auditRows'),
      payloadRows: total('payloadRows'),
      jobs: jobs.removed.reduce((n, r) => n + r.jobs, 0),
      jobRows: total('jobRows'),
      jobsNotEnded: jobs.jobsNotEnded,
      stores,
    };
    const record = await this.db.getRepository(ErasureRequestEntity).save({
      tenantId: order.tenantId,
      requestedBy: order.requestedBy,
      subjectHash: order.subject === undefined ? null : this.subjectHash(order.subject),
      requestIds: requestIds.length,
      counts,
    });
    // The log line is the erasure's own audit trail beside its record: never the subject itself.
    this.logger.log({ erasure: record.id, tenant: order.tenantId, by: order.requestedBy, ...counts }, 'erasure done');
    return record;
  }

  /** The subject's keyed hash, as its erasure records hold it. */
  subjectHash(subject: string): string {
    return createHmac('sha256', this.subjectKey).update(subject).digest('hex');
  }

  private async eraseAudit(tx: EntityManager, tenantId: string, subject: string | null, requestIds: string[]): Promise<{ auditRows: number; payloadRows: number }> {
    const match = `tenant_id = $1 AND (subject = $2 OR request_id = ANY($3::varchar[]))`;
    const params = [tenantId, subject, requestIds];
    const [{ n: payloadRows }]: { n: number }[] = await tx.query(
      `WITH d AS (DELETE FROM payload_log p WHERE p.tenant_id = $1 AND p.event_id IN (SELECT event_id FROM audit_log WHERE ${match}) RETURNING 1)
       SELECT count(*)::int AS n FROM d`,
      params,
    );
    const [{ n: auditRows }]: { n: number }[] = await tx.query(`WITH d AS (DELETE FROM audit_log WHERE ${match} RETURNING 1) SELECT count(*)::int AS n FROM d`, params);
    return { auditRows, payloadRows };
  }

  private async eraseJobs(tenantId: string, subject: string): Promise<{ removed: JobsRemoved[]; jobsNotEnded: number }> {
    const mine: { id: string; residency: string | null; ended: boolean }[] = await this.db.query(
      `SELECT id, residency, state = ANY($3) AS ended FROM batch_jobs WHERE tenant_id = $1 AND created_by = $2 AND expired_at IS NULL`,
      [tenantId, subject, TERMINAL_STATES],
    );
    const removed = new Map<string, JobsRemoved>();
    let jobsNotEnded = 0;
    const now = new Date();
    for (const job of mine) {
      if (job.ended) addRemoved(removed, await this.jobs.expire(job, now));
      else jobsNotEnded++;
    }
    return { removed: [...removed.values()], jobsNotEnded };
  }
}
