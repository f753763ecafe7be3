import { csvCell, csvHeader, csvRows, exportDisposition, ndjsonRows, type AuditRecordView } from './audit-export.format';

const record: AuditRecordView = {
  eventId: '3f0c2a9e-8d1b-4c6e-9f7a-5b2d1e0c4a8f',
  requestId: 'r-1',
  residencyRegion: 'ae',
  tenantId: 'acme',
  subject: 'alice',
  model: 'scorer',
  version: 3,
  pool: 'cpu.ae',
  protocol: 'rest',
  status: 200,
  error: null,
  latencyMs: 2.5,
  servedRegion: 'ae',
  placement: 'cheapest: cpu.ae ~2 ms, gpu.ae ~3 ms',
  occurredAt: '2026-12-02T05:00:00.000Z',
};

describe('audit export format', () => {
  describe('csvCell', () => {
    it.each([
      ['plain', 'plain'],
      ['a,b', '"a,b"'],
      ['say "hi"', '"say ""hi"""'],
      ['two\nlines', '"two\nlines"'],
      ['cr\rhere', '"cr\rhere"'],
      ['', ''],
    ])('writes %j as %j', (value, cell) => {
      expect(csvCell(value)).toBe(cell);
    });

    it.each(['=HYPERLINK("http://x","y")', '+1+2', '-2+3', '@SUM(A1)', '\t=1', '\r=1', '=cmd|" /C calc"!A0'])('writes %j as text a spreadsheet does not evaluate', (value) => {
      const cell = csvCell(value);
      expect(cell.startsWith(`"'`)).toBe(true);
      expect(cell).toBe(`"'${value.replace(/"/g, '""')}"`);
    });

    it('writes numbers and nulls as they are', () => {
      expect([csvCell(-1), csvCell(2.5), csvCell(null)]).toEqual(['-1', '2.5', '']);
    });
  });

  describe('csvRows', () => {
    it('writes the header and one CRLF-ended row per record, in the header order', () => {
      expect(csvHeader()).toBe('occurredAt,eventId,requestId,tenantId,residencyRegion,subject,model,version,pool,protocol,status,error,latencyMs,servedRegion,placement\r\n');
      expect(csvRows([record, { ...record, error: '=1+1', version: null }])).toBe(
        '2026-12-02T05:00:00.000Z,3f0c2a9e-8d1b-4c6e-9f7a-5b2d1e0c4a8f,r-1,acme,ae,alice,scorer,3,cpu.ae,rest,200,,2.5,ae,"cheapest: cpu.ae ~2 ms, gpu.ae ~3 ms"\r\n' +
          `2026-12-02T05:00:00.000Z,3f0c2a9e-8d1b-4c6e-9f7a-5b2d1e0c4a8f,r-1,acme,ae,alice,scorer,,cpu.ae,rest,200,"'=1+1",2.5,ae,"cheapest: cpu.ae ~2 ms, gpu.ae ~3 ms"\r\n`,
      );
    });
  });

  describe('ndjsonRows', () => {
    it('writes one JSON line per record, a line break inside a field escaped', () => {
      const text = ndjsonRows([record, { ...record, error: 'a\nb' }]);
      expect(text.split('\n')).toHaveLength(3);
      expect(
        text
          .split('\n')
          .slice(0, 2)
          .map((line) => JSON.parse(line) as AuditRecordView),
      ).toEqual([record, { ...record, error: 'a\nb' }]);
    });
  });

  describe('exportDisposition', () => {
    it('names the file for the tenant, or all, and the time', () => {
      const now = new Date('2026-12-02T05:51:00.123Z');
      expect(exportDisposition({ tenantId: 'acme' }, 'csv', now)).toBe('attachment; filename="audit-acme-20261202T055100Z.csv"');
      expect(exportDisposition({ tenantId: null }, 'ndjson', now)).toBe('attachment; filename="audit-all-20261202T055100Z.ndjson"');
    });
  });
});
