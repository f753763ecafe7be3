import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { RegionStoreConnections } from '../region-stores/region-store.connections';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { TenantRecords } from '../tenants/tenant-records';
import { TenantsError } from '../tenants/tenants.exception';
import { AuditExpiry } from './audit-expiry';
import { JobExpiry } from './job-expiry';
import { RetentionRunEntity, type RetentionRemoval } from './retention-run.entity';
import { cutoffOf, cutoffs, droppableMonths, effectiveDays, type TenantRetention } from './retention.policy';
import type { TenantRetentionDto } from './retention.dto';

/** One pass at a time across every registry: a session-level advisory lock, held on its own connection for the pass. */
const PASS_LOCK = `hashtext('falaj:retention-pass')`;

export interface TenantRetentionView extends TenantRetentionDto {
  /** The days that apply now: the tenant's own or the platform's default. */
  effective: { auditDays: number; jobDays: number };
}

/**
 * Retention passes: what expired of the audit log (in every region store) and of ended jobs is
 * removed, and each pass is recorded (retention_runs, in the catalog: counts and table names, no
 * row of any region) and logged. The rules are retention.policy's; this does the I/O.
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);
  private readonly jobs: JobExpiry;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    @Inject(RegionStoreConnections) private readonly stores: RegionStoreConnections,
    private readonly tenants: TenantRecords,
  ) {
    this.jobs = new JobExpiry(db, stores);
  }

  /**
   * Runs a pass now, unless one is running anywhere: then null. The run is recorded even when
   * the pass fails part-way, with what it had removed by then.
   */
  async runPass(trigger: RetentionRunEntity['trigger'], options: { now?: Date; signal?: AbortSignal } = {}): Promise<RetentionRunEntity | null> {
    const lock = this.db.createQueryRunner();
    await lock.connect();
    try {
      const [{ locked }] = (await lock.query(`SELECT pg_try_advisory_lock(${PASS_LOCK}) AS locked`)) as { locked: boolean }[];
      if (!locked) return null;
      try {
        return await this.pass(trigger, options.now ?? new Date(), options.signal);
      } finally {
        await lock.query(`SELECT pg_advisory_unlock(${PASS_LOCK})`);
      }
    } finally {
      await lock.release();
    }
  }

  async runs(limit: number): Promise<RetentionRunEntity[]> {
    return this.db.getRepository(RetentionRunEntity).find({ order: { startedAt: 'DESC' }, take: limit });
  }

  async tenantRetention(tenantId: string): Promise<TenantRetentionView> {
    return this.view(await this.tenants.get(tenantId));
  }

  async setTenantRetention(tenantId: string, retention: TenantRetentionDto, actor: string): Promise<TenantRetentionView> {
    if (!(await this.tenants.update(this.db.manager, tenantId, retention))) throw TenantsError.notFound(tenantId);
    this.logger.log({ tenant: tenantId, ...retention, actor }, 'tenant retention set');
    return this.tenantRetention(tenantId);
  }

  private view(tenant: TenantRetention): TenantRetentionView {
    const { auditDays, jobDays } = this.config.retention;
    return {
      auditRetentionDays: tenant.auditRetentionDays,
      jobRetentionDays: tenant.jobRetentionDays,
      effective: { auditDays: effectiveDays(tenant.auditRetentionDays, auditDays), jobDays: effectiveDays(tenant.jobRetentionDays, jobDays) },
    };
  }

  private async pass(trigger: RetentionRunEntity['trigger'], now: Date, signal?: AbortSignal): Promise<RetentionRunEntity> {
    const runs = this.db.getRepository(RetentionRunEntity);
    // Under the lock, a run still 'running' is one whose registry died mid-pass.
    await runs.update({ state: 'running' }, { state: 'failed', error: 'its registry stopped before the pass finished', finishedAt: new Date() });
    const run = await runs.save(
      runs.create({ trigger, instance: this.config.registryId, state: 'running', startedAt: new Date(), finishedAt: null, removed: [], partitionsDropped: [], partitionsCreated: [], error: null }),
    );
    const started = Date.now();
    try {
      await this.removeExpired(run, now, signal);
      run.state = 'completed';
    } catch (error) {
      run.state = 'failed';
      run.error = (error as Error).message;
    }
    run.finishedAt = new Date();
    await runs.save(run);
    const summary = {
      run: run.id,
      trigger,
      state: run.state,
      ms: Date.now() - started,
      auditRowsDeleted: sum(run.removed, 'audit'),
      payloadRecordsDeleted: sum(run.removed, 'payloads'),
      jobRowsDeleted: sum(run.removed, 'jobs'),
      jobsExpired: run.removed.reduce((n, r) => n + (r.jobsExpired ?? 0), 0),
      partitionsDropped: run.partitionsDropped.map((p) => p.table),
      partitionsCreated: run.partitionsCreated.length,
      ...(run.error ? { error: run.error } : {}),
    };
    if (run.state === 'completed') this.logger.log(summary, 'retention pass');
    else this.logger.error(summary, 'retention pass failed; the next pass goes on from where it stopped');
    return run;
  }

  /** Fills the run as it goes, so a pass that fails part-way still records what it removed. */
  private async removeExpired(run: RetentionRunEntity, now: Date, signal?: AbortSignal): Promise<void> {
    const { auditDays, jobDays, batchRows } = this.config.retention;
    const defaults = { auditDays, jobDays };
    const tenants: TenantRetention[] = await this.tenants.retentions();

    // A month goes whole once it ended before the longest retention on the platform began.
    const allCutoffs = [
      cutoffOf(now, auditDays),
      ...cutoffs(
        tenants.map((t) => t.id),
        tenants,
        defaults,
        'audit',
        now,
      ).values(),
    ];
    for (const store of this.stores.all()) {
      const audit = new AuditExpiry(store.db);
      const named = (table: string) => (store.name === 'catalog' ? table : `${store.name}/${table}`);
      run.partitionsCreated.push(...(await audit.ensureAhead(now)).map(named));
      for (const partition of droppableMonths(await audit.monthPartitions(), allCutoffs)) {
        if (await audit.drop(partition)) {
          run.partitionsDropped.push({ table: partition.name, month: partition.month.toISOString().slice(0, 7), rowsEstimate: partition.rowsEstimate, store: store.name });
        }
      }
      for (const [tenantId, cutoff] of cutoffs(await audit.tenantIds(), tenants, defaults, 'audit', now)) {
        const rowsDeleted = await audit.deleteBefore(tenantId, cutoff, batchRows, signal);
        if (rowsDeleted > 0) run.removed.push({ tenantId, kind: 'audit', rowsDeleted, store: store.name });
      }
      // Payload records keep no longer than their calls' audit rows.
      for (const [tenantId, cutoff] of cutoffs(await audit.tenantIds('payload_log'), tenants, defaults, 'audit', now)) {
        const rowsDeleted = await audit.deletePayloadsBefore(tenantId, cutoff, batchRows, signal);
        if (rowsDeleted > 0) run.removed.push({ tenantId, kind: 'payloads', rowsDeleted, store: store.name });
      }
    }
    for (const [tenantId, cutoff] of cutoffs(await this.jobs.tenantIds(), tenants, defaults, 'jobs', now)) {
      for (const { store, jobs, rows } of await this.jobs.expireBefore(tenantId, cutoff, now, signal)) {
        run.removed.push({ tenantId, kind: 'jobs', rowsDeleted: rows, jobsExpired: jobs, store });
      }
    }
  }
}

function sum(removed: RetentionRemoval[], kind: RetentionRemoval['kind']): number {
  return removed.filter((r) => r.kind === kind).reduce((n, r) => n + r.rowsDeleted, 0);
}
