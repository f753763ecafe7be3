import { RetentionDaysSchema, cutoffOf, cutoffs, droppableMonths, effectiveDays, isExpired } from './retention.policy';

const utc = (iso: string) => new Date(iso);
const NOW = utc('2026-12-02T06:00:00Z');
const DEFAULTS = { auditDays: 400, jobDays: 30 };
const month = (iso: string, name = iso) => ({ name, month: utc(`${iso}-01T00:00:00Z`) });

describe('retention policy', () => {
  describe('RetentionDaysSchema', () => {
    it('takes whole days from 1 to 3650 and refuses the rest', () => {
      for (const days of [1, 30, 3650]) expect(RetentionDaysSchema.safeParse(days).success).toBe(true);
      for (const days of [0, -1, 3651, 1.5, '30', null]) expect(RetentionDaysSchema.safeParse(days).success).toBe(false);
    });
  });

  describe('cutoffOf', () => {
    it('is the retention in 24-hour days before now; a record at the cutoff or one second inside is kept, one second before is not', () => {
      const cutoff = cutoffOf(NOW, 30);
      expect(cutoff).toEqual(utc('2026-11-02T06:00:00Z'));
      expect(isExpired(cutoff, NOW, 30)).toBe(false);
      expect(isExpired(new Date(cutoff.getTime() + 1000), NOW, 30)).toBe(false);
      expect(isExpired(new Date(cutoff.getTime() - 1000), NOW, 30)).toBe(true);
    });
  });

  describe('cutoffs', () => {
    const tenants = [
      { id: 'short', auditRetentionDays: 7, jobRetentionDays: 1 },
      { id: 'plain', auditRetentionDays: null, jobRetentionDays: null },
    ];

    it("takes the tenant's own days, else the platform default, per kind", () => {
      expect(effectiveDays(null, 400)).toBe(400);
      expect(effectiveDays(7, 400)).toBe(7);
      const audit = cutoffs(['short', 'plain'], tenants, DEFAULTS, 'audit', NOW);
      expect(audit.get('short')).toEqual(cutoffOf(NOW, 7));
      expect(audit.get('plain')).toEqual(cutoffOf(NOW, 400));
      const jobs = cutoffs(['short', 'plain'], tenants, DEFAULTS, 'jobs', NOW);
      expect(jobs.get('short')).toEqual(cutoffOf(NOW, 1));
      expect(jobs.get('plain')).toEqual(cutoffOf(NOW, 30));
    });

    it('gives a tenant id with records but no tenant row (deleted since) the platform default', () => {
      expect(cutoffs(['gone'], tenants, DEFAULTS, 'audit', NOW).get('gone')).toEqual(cutoffOf(NOW, 400));
    });
  });

  describe('droppableMonths', () => {
    const months = ['2025-09', '2025-10', '2025-11', '2025-12', '2026-11', '2026-12'].map((m) => month(m));

    it('drops the months that end at or before the longest retention’s cutoff, and no month that merely starts before it', () => {
      // 400 days before 2026-12-02T06:00Z is 2025-10-28T06:00Z: September has ended by then, October has not.
      expect(droppableMonths(months, [cutoffOf(NOW, 30), cutoffOf(NOW, 400)]).map((m) => m.name)).toEqual(['2025-09']);
    });

    it('keeps every month while one tenant keeps ten years, and drops a month exactly at its end', () => {
      expect(droppableMonths(months, [cutoffOf(NOW, 7), cutoffOf(NOW, 3650)])).toEqual([]);
      expect(droppableMonths(months, [utc('2025-12-01T00:00:00Z')]).map((m) => m.name)).toEqual(['2025-09', '2025-10', '2025-11']);
    });

    it('drops nothing without any cutoff', () => {
      expect(droppableMonths(months, [])).toEqual([]);
    });
  });
});
