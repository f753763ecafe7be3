import fc from 'fast-check';
import { escapedText, isStorableText, storableText, toStorableText } from './storable-text';

/** Any UTF-16 code unit, weighted towards the ones that broke the audit: NUL, lone surrogates, controls, pairs. */
const unit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\u{1f600}', '\n', '\t', '\u001b', '\u007f', '\u0085', 'a', '\\', '\u2026'),
);
const anyString = fc.array(unit, { maxLength: 300 }).map((units) => units.join(''));
const maxLength = fc.integer({ min: 1, max: 260 });

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** What Postgres gets: the driver encodes the string as UTF-8. Storable text survives it unchanged. */
const survivesUtf8 = (value: string) => Buffer.from(value, 'utf8').toString('utf8') === value;

describe('storable text', () => {
  describe('toStorableText', () => {
    it('escapes NUL, controls (line breaks too) and lone surrogates, keeps pairs', () => {
      expect(toStorableText('\u0000', 128)).toBe('\\u0000');
      expect(toStorableText('a\ud800b', 128)).toBe('a\\ud800b');
      expect(toStorableText('\udc00', 128)).toBe('\\udc00');
      expect(toStorableText('\u001b[31mred', 128)).toBe('\\u001b[31mred');
      expect(toStorableText('a\r\nforged: line', 128)).toBe('a\\u000d\\u000aforged: line');
      expect(toStorableText('tiny-\u{1f600} caf\u00e9', 128)).toBe('tiny-\u{1f600} caf\u00e9');
    });

    it('cuts an over-long value to max code units ending with an ellipsis, at a character boundary', () => {
      const cut = toStorableText('x'.repeat(10_000), 128);
      expect(cut).toHaveLength(128);
      expect(cut.endsWith('x\u2026')).toBe(true);
      // A pair straddling the cut is dropped whole, not split into a lone surrogate.
      expect(toStorableText(`${'x'.repeat(126)}\u{1f600}y`, 128)).toBe(`${'x'.repeat(126)}\u2026`);
      // An escape is never cut in half.
      expect(toStorableText(`${'x'.repeat(125)}\u0000y`, 128)).toBe(`${'x'.repeat(125)}\u2026`);
    });

    it('refuses a max that is not a positive integer', () => {
      expect(() => toStorableText('a', 0)).toThrow(RangeError);
    });

    it('gives storable, visible text within max for any string, unchanged when it already was, and is idempotent', () => {
      fc.assert(
        fc.property(anyString, maxLength, (value, max) => {
          const out = toStorableText(value, max);
          expect(isStorableText(out)).toBe(true);
          expect(survivesUtf8(out)).toBe(true);
          expect(out.length).toBeLessThanOrEqual(max);
          expect(CONTROL.test(out)).toBe(false);
          expect(toStorableText(out, max)).toBe(out);
          if (value.length <= max && survivesUtf8(value) && !CONTROL.test(value)) expect(out).toBe(value);
        }),
        { numRuns: 2000 },
      );
    });

    it('does work bounded by max, not by the input (a 10 MB name)', () => {
      const started = performance.now();
      expect(toStorableText('\u0000'.repeat(10 * 1024 * 1024), 128)).toHaveLength(21 * 6 + 1);
      expect(performance.now() - started).toBeLessThan(1000);
    });
  });

  describe('isStorableText', () => {
    it('is true exactly for the strings that survive UTF-8 and hold no NUL', () => {
      fc.assert(
        fc.property(anyString, (value) => {
          expect(isStorableText(value)).toBe(survivesUtf8(value) && !value.includes('\u0000'));
        }),
        { numRuns: 2000 },
      );
    });
  });

  describe('storableText', () => {
    it('parses a string unchanged or refuses it with an issue, never throwing', () => {
      const schema = storableText({ max: 63 });
      fc.assert(
        fc.property(anyString, (value) => {
          const parsed = schema.safeParse(value);
          expect(parsed.success).toBe(isStorableText(value) && value.length >= 1 && value.length <= 63);
          if (parsed.success) expect(parsed.data).toBe(value);
          else expect(parsed.error.issues.length).toBeGreaterThan(0);
        }),
        { numRuns: 2000 },
      );
    });

    it('names the reason', () => {
      const parsed = storableText({ max: 63 }).safeParse('ac\u0000me');
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toMatch(/cannot store/);
    });
  });

  describe('escapedText', () => {
    it('parses every non-empty string to storable text, refuses only the empty one', () => {
      const schema = escapedText({ max: 128 });
      fc.assert(
        fc.property(fc.oneof(anyString, fc.anything()), (value) => {
          const parsed = schema.safeParse(value);
          if (typeof value === 'string' && value.length > 0) {
            expect(parsed.success).toBe(true);
            expect(parsed.data).toBe(toStorableText(value, 128));
          } else {
            expect(parsed.success).toBe(false);
          }
        }),
        { numRuns: 2000 },
      );
    });
  });
});
