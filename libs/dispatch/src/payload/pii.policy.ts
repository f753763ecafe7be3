/**
 * Personal-data detectors for the `redact` payload policy: pure functions over one string. Each
 * kind is a pattern that finds candidates and, where the format has one, a checksum that confirms
 * them (IBAN mod-97, Luhn for cards), so ordinary numbers, dates and amounts are left alone.
 * Applied in order — e-mail, IBAN, Emirates ID, phone, card — each on what the previous ones
 * left, so the digits inside an e-mail or IBAN are never read as a phone number, and a phone
 * number that happens to pass Luhn is still called a phone number.
 */
export type PiiKind = 'email' | 'iban' | 'emirates_id' | 'card' | 'phone';

/** The placeholder a detected value is replaced by (`<email>`). */
export const placeholderOf = (kind: PiiKind): string => `<${kind}>`;

/** Not glued to a letter, digit or `+` on the left, nor to a letter or digit on the right. */
const L = '(?<![\\p{L}\\p{N}+])';
const R = '(?![\\p{L}\\p{N}])';

const EMAIL = /[\p{L}\p{N}.!#$%&'*+/=?^_`{|}~-]+@[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)*\.\p{L}{2,}/gu;
/** Two letters, two check digits, then 11–30 letters or digits, in groups of any size split by single spaces. */
const IBAN = new RegExp(`${L}[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}${R}`, 'gu');
/** 784, a birth year (19xx/20xx), seven digits, a check digit; dashes or spaces between the groups, or none. */
const EMIRATES_ID = new RegExp(`${L}784[- ]?(?:19|20)[0-9]{2}[- ]?[0-9]{7}[- ]?[0-9]${R}`, 'gu');
/** 13–19 digits, single spaces or dashes between them. */
const CARD = new RegExp(`${L}[0-9](?:[ -]?[0-9]){12,18}${R}`, 'gu');
const PHONE_PATTERNS = [
  // UAE from abroad: +971 or 00971, then 8 (landline) or 9 (mobile) digits, the leading 0 of the area code optional in brackets.
  `(?:\\+|(?<![0-9])00)971[ -]?(?:\\(0\\)[ -]?)?[0-9](?:[ -]?[0-9]){7,8}`,
  // UAE mobile, national: 05x xxx xxxx.
  `0 ?5[0-9](?:[ -]?[0-9]){7}`,
  // UAE landline, national: area code (02–09), then 7 digits, the code apart from the number.
  `0[2-9][ -][0-9]{3}[ -]?[0-9]{4}`,
  // Any other E.164 number: +, then 8–15 digits in groups split by single spaces or dashes.
  `\\+[1-9](?:[ -]?[0-9]){7,14}`,
];
const PHONE = new RegExp(`${L}(?:${PHONE_PATTERNS.join('|')})${R}`, 'gu');

const digitsOf = (text: string): string => text.replace(/[^0-9]/g, '');

/** The Luhn check (ISO/IEC 7812-1) over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** IBAN lengths by country (ISO 13616 registry) for the countries the platform sees most; others: 15–34. */
const IBAN_LENGTHS: Record<string, number> = {
  AE: 23,
  SA: 24,
  QA: 29,
  BH: 22,
  KW: 30,
  OM: 23,
  JO: 30,
  EG: 29,
  LB: 28,
  GB: 22,
  DE: 22,
  FR: 27,
  NL: 18,
  BE: 16,
  ES: 24,
  IT: 27,
  CH: 21,
  IE: 22,
  PK: 24,
  TR: 26,
};

/** ISO 7064 mod 97-10 over the IBAN moved (country and check digits to the end) and letters as numbers. */
export function ibanValid(candidate: string): boolean {
  const iban = candidate.replace(/ /g, '');
  const expected = IBAN_LENGTHS[iban.slice(0, 2)];
  if (expected !== undefined ? iban.length !== expected : iban.length < 15 || iban.length > 34) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of moved) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const digit of value) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

/** A run of digits that a phone number cannot be: a date or time written with dashes (2026-12-02). */
const phoneValid = (candidate: string): boolean => {
  const digits = digitsOf(candidate).length;
  return digits >= 8 && digits <= 15 && !/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(candidate);
};

const DETECTORS: readonly { kind: PiiKind; pattern: RegExp; valid: (match: string) => boolean }[] = [
  { kind: 'email', pattern: EMAIL, valid: () => true },
  { kind: 'iban', pattern: IBAN, valid: ibanValid },
  { kind: 'emirates_id', pattern: EMIRATES_ID, valid: () => true },
  { kind: 'phone', pattern: PHONE, valid: phoneValid },
  { kind: 'card', pattern: CARD, valid: (match) => luhnValid(digitsOf(match)) },
];

/** The kinds of personal data found in `text`, in the order the detectors run (for tests and counts). */
export function detectPii(text: string): PiiKind[] {
  const found: PiiKind[] = [];
  replacePii(text, (kind) => found.push(kind));
  return found;
}

/** `text` with every detected value replaced by its placeholder (one argument: safe to pass to `map`). */
export function redactPii(text: string): string {
  return replacePii(text);
}

function replacePii(text: string, onFound?: (kind: PiiKind) => void): string {
  let out = text;
  for (const { kind, pattern, valid } of DETECTORS) {
    out = out.replace(pattern, (match) => {
      if (!valid(match)) return match;
      onFound?.(kind);
      return placeholderOf(kind);
    });
  }
  return out;
}
