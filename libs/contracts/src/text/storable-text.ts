import { z } from 'zod';

/**
 * Text Postgres can store, and that a log or a terminal shows as it is.
 *
 * Postgres refuses NUL in any text column (SQLSTATE 22021), and a lone UTF-16 surrogate has no
 * UTF-8 form (the driver would silently turn it into U+FFFD). One such character in one field
 * made a multi-row insert fail for the whole batch (issue 11), so every event is checked field
 * by field: text the system made itself is refused when it is not storable (`storableText`: a
 * producer bug to set aside), text that came from outside is recorded escaped (`escapedText`: a
 * hostile model name is still audited, visibly).
 */

/** The C0 controls (NUL, and line breaks: a forged log line), DEL and the C1 controls. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one (no `u` flag: code units). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const ELLIPSIS = '\u2026';

/** Whether Postgres can store `value` as it is: no NUL and no lone surrogate. */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}

const isHigh = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;
const isControl = (unit: number) => unit <= 0x1f || (unit >= 0x7f && unit <= 0x9f);
const escape = (unit: number) => `\\u${unit.toString(16).padStart(4, '0')}`;

/**
 * `value` as storable text of at most `max` UTF-16 code units (so at most `max` characters for a
 * `varchar(max)`): controls and lone surrogates written as `\uXXXX`, and an over-long value cut
 * at a character boundary (never inside a surrogate pair or an escape) and ended with `…`. Work
 * is bounded by `max`, not by the input's length. Idempotent; text already storable, shown as it
 * is and short enough comes back unchanged.
 */
export function toStorableText(value: string, max: number): string {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, not ${max}`);
  if (value.length <= max && !CONTROL.test(value) && !LONE_SURROGATE.test(value)) return value;
  let out = '';
  // The longest prefix, ending on a piece boundary, that leaves room for the ellipsis.
  let cut = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    let piece: string;
    if (isHigh(unit) && i + 1 < value.length && isLow(value.charCodeAt(i + 1))) {
      piece = value.slice(i, i + 2);
      i++;
    } else if (isHigh(unit) || isLow(unit) || isControl(unit)) {
      piece = escape(unit);
    } else {
      piece = value[i]!;
    }
    if (out.length + piece.length > max) return out.slice(0, cut) + ELLIPSIS;
    out += piece;
    if (out.length <= max - 1) cut = out.length;
  }
  return out;
}

const notStorable = 'text Postgres cannot store (NUL or a lone UTF-16 surrogate)';

/** A string of the system's own making: refused unless storable as it is and within `max`. */
export function storableText(options: { max: number; min?: number }) {
  return z
    .string()
    .min(options.min ?? 1)
    .max(options.max)
    .refine(isStorableText, { message: notStorable });
}

/**
 * A string from outside (a client's id, a model name from a URL, an error message): any string is
 * taken and recorded as `toStorableText` writes it. Only one shorter than `min` is refused.
 */
export function escapedText(options: { max: number; min?: number }) {
  return z
    .string()
    .transform((value) => toStorableText(value, options.max))
    .pipe(z.string().min(options.min ?? 1));
}
