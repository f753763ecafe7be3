import { AuditQuerySchema } from './audit.dto';

const problems = (query: Record<string, unknown>): string[] => {
  const parsed = AuditQuerySchema.safeParse(query);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('AuditQuerySchema', () => {
  it('reads the query string: numbers, instants (a date is its midnight UTC), and json by default', () => {
    expect(AuditQuerySchema.parse({ version: '2', from: '2026-12-01', to: '2026-12-01T10:30:00.5+04:00', limit: '20' })).toEqual({
      version: 2,
      from: new Date('2026-12-01T00:00:00Z'),
      to: new Date('2026-12-01T06:30:00.500Z'),
      limit: 20,
      format: 'json',
    });
  });

  it.each([
    [{ from: 'yesterday' }, /^from: an ISO 8601 date-time/],
    [{ to: '2026-13-01' }, /^to: an ISO 8601/],
    // Without an offset an instant is ambiguous: refused rather than read in the server's zone.
    [{ from: '2026-12-01T10:00:00' }, /^from: an ISO 8601/],
    [{ from: '2026-12-02', to: '2026-12-01' }, /^from: must not be after to \(2026-12-01T00:00:00.000Z\)/],
    [{ status: '7xx' }, /^status: an HTTP status \(404\) or a class/],
    [{ status: '50x' }, /^status: /],
    [{ status: '600' }, /^status: /],
    [{ protocol: 'soap' }, /^protocol: /],
    [{ version: '0' }, /^version: /],
    [{ limit: '1001' }, /^limit: at most 1000 a page \(format=ndjson or csv exports more\)/],
    [{ limit: '0', format: 'csv' }, /^limit: /],
    [{ format: 'xml' }, /^format: /],
    [{ tenant: 'Not A Tenant' }, /^tenant: a tenant id/],
    [{ cursor: 'x'.repeat(513) }, /^cursor: /],
    [{ stauts: '500' }, /Unrecognized key.*stauts/],
    [{ model: ['a', 'b'] }, /^model: /],
  ])('refuses %j with a message naming the field', (query, message) => {
    expect(problems(query)).toEqual([expect.stringMatching(message)]);
  });

  it('lets an export ask for more than a page', () => {
    expect(AuditQuerySchema.parse({ limit: '100000', format: 'ndjson' })).toMatchObject({ limit: 100_000, format: 'ndjson' });
  });
});
