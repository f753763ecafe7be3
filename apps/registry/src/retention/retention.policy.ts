import { z } from 'zod';
import { monthBounds } from '../audit/audit-partition.policy';

/** A retention is whole days, at least one and at most ten years. */
export const RETENTION_DAYS = { min: 1, max: 3650 } as const;
export const RetentionDaysSchema = z.number().int().min(RETENTION_DAYS.min).max(RETENTION_DAYS.max);

const DAY_MS = 86_400_000;

export interface TenantRetention {
  id: string;
  /** Null: the platform's default (FALAJ_AUDIT_RETENTION_DAYS / FALAJ_JOB_RETENTION_DAYS). */
  auditRetentionDays: number | null;
  jobRetentionDays: number | null;
}

export interface RetentionDefaults {
  auditDays: number;
  jobDays: number;
}

export type RetentionKind = 'audit' | 'jobs';

/** The days that apply: the tenant's own, else the platform's. */
export function effectiveDays(setting: number | null | undefined, platformDefault: number): number {
  return setting ?? platformDefault;
}

/**
 * The instant before which a record is expired: `days` periods of 24 hours before `now` (not
 * calendar days, so a retention means the same in every time zone). A record stamped exactly at
 * the cutoff is still kept.
 */
export function cutoffOf(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

export function isExpired(at: Date, now: Date, days: number): boolean {
  return at.getTime() < cutoffOf(now, days).getTime();
}

/**
 * Each tenant's cutoff for the kind. A tenant id with records but no tenant row (a tenant
 * deleted since) takes the platform's default: nothing is kept forever for want of a setting.
 */
export function cutoffs(tenantIds: readonly string[], tenants: readonly TenantRetention[], defaults: RetentionDefaults, kind: RetentionKind, now: Date): Map<string, Date> {
  const byId = new Map(tenants.map((t) => [t.id, t]));
  return new Map(
    tenantIds.map((id) => {
      const tenant = byId.get(id);
      const days = kind === 'audit' ? effectiveDays(tenant?.auditRetentionDays, defaults.auditDays) : effectiveDays(tenant?.jobRetentionDays, defaults.jobDays);
      return [id, cutoffOf(now, days)];
    }),
  );
}

/**
 * The month partitions every row of which has expired whoever wrote it: those that end at or
 * before the earliest of the cutoffs given, which are every tenant's and the platform default's
 * (the longest retention on the platform). The rest of what expired goes by DELETE, tenant by
 * tenant. With no cutoff at all nothing is dropped.
 */
export function droppableMonths<P extends { month: Date }>(partitions: readonly P[], allCutoffs: readonly Date[]): P[] {
  if (allCutoffs.length === 0) return [];
  const earliest = Math.min(...allCutoffs.map((c) => c.getTime()));
  return partitions.filter((p) => monthBounds(p.month).to.getTime() <= earliest);
}
