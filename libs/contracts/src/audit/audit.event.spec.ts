import fc from 'fast-check';
import { isStorableText } from '../text/storable-text';
import { AuditEventSchema, ReceivedAuditEventSchema, auditEventOf, type AuditFacts } from './audit.event';

const facts: AuditFacts = {
  requestId: 'r-1',
  tenantId: 'acme',
  subject: 'svc-acme',
  residency: 'ae',
  model: 'tiny-mlp',
  version: 1,
  pool: 'cpu.ae',
  protocol: 'rest',
  status: 200,
  error: null,
  latencyMs: 1.5,
};
const TEXT_FIELDS = ['requestId', 'tenantId', 'subject', 'model', 'pool', 'error', 'residencyRegion', 'servedRegion', 'placement'] as const;
const hostile = fc.oneof(
  fc.constantFrom('\u0000', '%00', '\ud800', '\udfff', 'x'.repeat(10_240), '\u0000'.repeat(5000), 'a\r\nforged: line'),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 400 }),
);

describe('AuditEventSchema', () => {
  describe('auditEventOf', () => {
    it('records a model named with a NUL, escaped, so the 404 call is audited', () => {
      const event = AuditEventSchema.parse(auditEventOf({ ...facts, model: '\u0000', status: 404, error: "model '\u0000' not found", version: null, pool: null }));
      expect(event.model).toBe('\\u0000');
      expect(event.error).toBe("model '\\u0000' not found");
    });

    it('gives an event the schema accepts for any hostile text the caller controls', () => {
      fc.assert(
        fc.property(hostile, hostile, hostile, hostile, (model, requestId, subject, error) => {
          const event = auditEventOf({ ...facts, model, requestId, subject, error });
          const parsed = AuditEventSchema.safeParse(event);
          expect(parsed.success).toBe(true);
          // The producer already normalised it: what goes on the wire is what was built.
          expect(parsed.data).toEqual(event);
          for (const field of TEXT_FIELDS) {
            const value = parsed.data![field];
            if (typeof value === 'string') expect(isStorableText(value)).toBe(true);
          }
        }),
        { numRuns: 500 },
      );
    });
  });

  describe('on receipt', () => {
    const valid = AuditEventSchema.parse(auditEventOf(facts));

    it('escapes text from outside that an older or hostile producer sent raw', () => {
      const parsed = ReceivedAuditEventSchema.parse({ ...valid, model: '\u0000', requestId: 'x'.repeat(10_000), subject: '\udc00' });
      expect(parsed.model).toBe('\\u0000');
      expect(parsed.requestId).toHaveLength(200);
      expect(parsed.subject).toBe('\\udc00');
    });

    it.each([
      ['tenantId', 'ac\u0000me'],
      ['tenantId', 't'.repeat(64)],
      ['residencyRegion', '\ud800'],
      ['pool', 'cpu.\u0000'],
      ['servedRegion', 'r'.repeat(33)],
      ['version', 2 ** 31],
    ])('refuses %s %j, which the platform never makes and Postgres could not store', (field, value) => {
      const parsed = ReceivedAuditEventSchema.safeParse({ ...valid, [field]: value });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual([field]);
    });

    it('parses any JSON value to a storable event or refuses it cleanly', () => {
      fc.assert(
        fc.property(fc.constantFrom(...TEXT_FIELDS), fc.oneof(hostile, fc.anything()), (field, value) => {
          const parsed = ReceivedAuditEventSchema.safeParse({ ...valid, [field]: value });
          if (!parsed.success) return;
          for (const name of TEXT_FIELDS) {
            const text = parsed.data[name];
            if (typeof text === 'string') expect(isStorableText(text)).toBe(true);
          }
        }),
        { numRuns: 1000 },
      );
    });
  });
});
