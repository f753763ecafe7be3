import { addMonths, defaultSubPartitionName, monthBounds, monthOfPartition, monthPartitionName, monthStart, monthsAhead, monthsBetween, regionPartitionName } from './audit-partition.policy';

const utc = (iso: string) => new Date(iso);

describe('audit partition layout', () => {
  describe('names', () => {
    it('names a region partition as the writer always has, and its months and default under it', () => {
      expect(regionPartitionName('ae')).toBe('audit_log_ae');
      expect(regionPartitionName('eu-west')).toBe('audit_log_eu_west');
      expect(monthPartitionName('audit_log_ae', utc('2026-02-28T23:59:59Z'))).toBe('audit_log_ae_p202602');
      expect(defaultSubPartitionName('audit_log_ae')).toBe('audit_log_ae_pdefault');
    });

    it('reads a month back from its name, and nothing from any other name', () => {
      expect(monthOfPartition('audit_log_eu_west_p202612')).toEqual(utc('2026-12-01T00:00:00Z'));
      expect(monthOfPartition('audit_log_ae_pdefault')).toBeNull();
      expect(monthOfPartition('audit_log_ae_p202613')).toBeNull();
      expect(monthOfPartition('audit_log_ae')).toBeNull();
    });
  });

  describe('months', () => {
    it('bounds a month in UTC, the next month starting where it ends (a row at midnight is in the new month)', () => {
      expect(monthBounds(utc('2026-12-31T23:59:59.999Z'))).toEqual({ from: utc('2026-12-01T00:00:00Z'), to: utc('2027-01-01T00:00:00Z') });
      expect(monthStart(utc('2027-01-01T00:00:00Z'))).toEqual(utc('2027-01-01T00:00:00Z'));
      expect(addMonths(utc('2026-01-31T12:00:00Z'), 1)).toEqual(utc('2026-02-01T00:00:00Z'));
      expect(addMonths(utc('2026-01-15T00:00:00Z'), -13)).toEqual(utc('2024-12-01T00:00:00Z'));
    });

    it('makes the current month and the next ahead, across a year end', () => {
      expect(monthsAhead(utc('2026-12-20T10:00:00Z'))).toEqual([utc('2026-12-01T00:00:00Z'), utc('2027-01-01T00:00:00Z')]);
    });

    it('lists the months between two instants, the latest kept when over the limit', () => {
      expect(monthsBetween(utc('2026-10-31T00:00:00Z'), utc('2027-01-02T00:00:00Z'), 10)).toEqual(['2026-10-01', '2026-11-01', '2026-12-01', '2027-01-01'].map((d) => utc(`${d}T00:00:00Z`)));
      expect(monthsBetween(utc('2020-01-01T00:00:00Z'), utc('2026-12-01T00:00:00Z'), 2)).toEqual([utc('2026-11-01T00:00:00Z'), utc('2026-12-01T00:00:00Z')]);
      expect(monthsBetween(utc('2026-05-05T00:00:00Z'), utc('2026-05-06T00:00:00Z'), 5)).toEqual([utc('2026-05-01T00:00:00Z')]);
    });
  });
});
