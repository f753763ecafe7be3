import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { VersionMetrics } from '@falaj/contracts';
import { RegionStoreConnections } from '../region-stores/region-store.connections';
import { TenantRecords } from '../tenants/tenant-records';

interface Row {
  version: number;
  requests: number;
  errors: number;
  p95: number | null;
}

const empty: VersionMetrics = { requests: 0, errors: 0, errorRate: 0, p95Ms: null };

/**
 * A model version's live traffic since a moment, read from the audit log: every answer the
 * gateways gave (all protocols), with its status and the latency the caller saw. 5xx answers
 * are the version's failures; 4xx are the callers' and do not count against it. A tenant's
 * calls are audited in the store of its residency region, so that store alone is read.
 */
@Injectable()
export class RolloutMetricsReader {
  constructor(
    @Inject(RegionStoreConnections) private readonly stores: RegionStoreConnections,
    private readonly tenants: TenantRecords,
  ) {}

  async read(tx: EntityManager, tenantId: string, model: string, versions: number[], since: Date): Promise<Map<number, VersionMetrics>> {
    const rows: Row[] = await this.stores.forRegion((await this.tenants.residency(tenantId, tx)) ?? 'unknown').query(
      `SELECT version,
              count(*)::int AS requests,
              (count(*) FILTER (WHERE status >= 500))::int AS errors,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95
         FROM audit_log
        WHERE tenant_id = $1 AND model = $2 AND version = ANY($3) AND occurred_at >= $4
        GROUP BY version`,
      [tenantId, model, versions, since],
    );
    const byVersion = new Map(versions.map((v) => [v, empty]));
    for (const row of rows) {
      byVersion.set(row.version, {
        requests: row.requests,
        errors: row.errors,
        errorRate: row.requests > 0 ? row.errors / row.requests : 0,
        p95Ms: row.p95 === null ? null : Math.round(row.p95 * 1000) / 1000,
      });
    }
    return byVersion;
  }
}
