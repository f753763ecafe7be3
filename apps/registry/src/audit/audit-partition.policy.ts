/**
 * How audit_log is laid out: LIST by residency region, each region's partition RANGE by
 * occurred_at in calendar months (UTC), with a default sub-partition that takes any row no month
 * holds, so an insert never fails for want of a partition.
 *
 * Monthly, not daily: retention runs to 3650 days, and a daily layout would hold up to 3650
 * partitions per region, each planned by every query not bounded in time (a tenant's newest
 * calls, a request id). Monthly keeps it to ~122; the price is that a month is dropped only once
 * its last day has expired, and the rows of a partly expired month go by batched DELETE.
 */

/** `audit_log_ae`: a region's partition (the name the writer has always used). */
export function regionPartitionName(region: string): string {
  return `audit_log_${region.replace(/[^a-z0-9_]/g, '_')}`;
}

/** `audit_log_ae_p202612`: a region partition's month. */
export function monthPartitionName(parent: string, month: Date): string {
  return `${parent}_p${month.getUTCFullYear()}${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** `audit_log_ae_pdefault`: the rows of a region that no month partition holds. */
export function defaultSubPartitionName(parent: string): string {
  return `${parent}_pdefault`;
}

/** The month a month partition's name stands for (its first instant), or null for any other name. */
export function monthOfPartition(name: string): Date | null {
  const match = /_p(\d{4})(\d{2})$/.exec(name);
  if (!match) return null;
  const month = Number(match[2]);
  return month >= 1 && month <= 12 ? new Date(Date.UTC(Number(match[1]), month - 1, 1)) : null;
}

/** The first instant (UTC) of the month that `at` is in. */
export function monthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

/** The first instant of the month `count` months after (or before, negative) the month of `month`. */
export function addMonths(month: Date, count: number): Date {
  return new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + count, 1));
}

/** A month partition's bounds: `[from, to)`, as FOR VALUES FROM … TO … takes them. */
export function monthBounds(month: Date): { from: Date; to: Date } {
  const from = monthStart(month);
  return { from, to: addMonths(from, 1) };
}

/** The months a pass (and the writer, for a new region) makes sure exist: the current one and the next. */
export function monthsAhead(now: Date): Date[] {
  const current = monthStart(now);
  return [current, addMonths(current, 1)];
}

/**
 * Every month from the first to the last (both included), at most `limit` of them counted back
 * from the last: older rows fall into the default sub-partition, where DELETE reaches them.
 */
export function monthsBetween(first: Date, last: Date, limit: number): Date[] {
  const months: Date[] = [];
  for (let m = monthStart(last); m >= monthStart(first) && months.length < limit; m = addMonths(m, -1)) months.unshift(m);
  return months;
}
