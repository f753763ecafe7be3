import { detectPii, ibanValid, luhnValid, redactPii, type PiiKind } from './pii.policy';

const POSITIVES: [string, PiiKind][] = [
  ['fatima.alzahra@example.ae', 'email'],
  ['a.b+tag@mail.sub.example.co.uk', 'email'],
  ['محمد@مثال.امارات', 'email'],
  ['AE070331234567890123456', 'iban'],
  ['AE07 0331 2345 6789 0123 456', 'iban'],
  ['GB82WEST12345698765432', 'iban'],
  ['DE89 3704 0044 0532 0130 00', 'iban'],
  ['SA0380000000608010167519', 'iban'],
  ['784-1990-1234567-1', 'emirates_id'],
  ['784199012345671', 'emirates_id'],
  ['784 2005 7654321 9', 'emirates_id'],
  ['4111 1111 1111 1111', 'card'],
  ['4111111111111111', 'card'],
  ['5555-5555-5555-4444', 'card'],
  ['378282246310005', 'card'],
  ['6011 1111 1111 1117', 'card'],
  ['4222222222222', 'card'],
  ['+971 50 123 4567', 'phone'],
  ['+971501234567', 'phone'],
  ['+971-55-987-6543', 'phone'],
  ['00971 50 123 4567', 'phone'],
  ['00971501234567', 'phone'],
  ['+971 (0)50 123 4567', 'phone'],
  ['050 123 4567', 'phone'],
  ['0501234567', 'phone'],
  ['056-765-4321', 'phone'],
  ['+971 4 123 4567', 'phone'],
  ['04 123 4567', 'phone'],
  ['+44 20 7946 0958', 'phone'],
  ['+1 415 555 2671', 'phone'],
];

const NEGATIVES: string[] = [
  '2026-12-02',
  '2026-12-02T05:52:32Z',
  '02/12/2026',
  '12:30:45',
  '1,234,567.89',
  'AED 12,500.00',
  '3.14159265358979',
  'order 1234567890123',
  '4111 1111 1111 1112',
  '1234 5678 9012 3456',
  'AE070331234567890123457',
  'AE07033123456789012345',
  '784-1990-123456-1',
  '785-1990-1234567-1',
  'version 1.2.3',
  'user at example dot com',
  'not-an-email@localhost',
  '20261202',
  '+971',
  'ID 12345',
  '192.168.1.1',
  'invoice 2024-000123',
  'room 0501',
  '12345678',
  'temperature -40 to +85',
  'SKU ABCD12345678901',
  '',
];

describe('pii.policy', () => {
  describe('detectPii', () => {
    it.each(POSITIVES)('finds %j as %s, alone and inside a sentence', (value, kind) => {
      expect(detectPii(value)).toEqual([kind]);
      expect(detectPii(`Customer note: ${value}, thanks.`)).toEqual([kind]);
    });

    it.each(NEGATIVES)('finds nothing in %j', (value) => {
      expect(detectPii(value)).toEqual([]);
      expect(redactPii(value)).toBe(value);
    });
  });

  describe('redactPii', () => {
    it('replaces each kind by its typed placeholder and keeps the rest of the text', () => {
      const text = 'Mail fatima@example.ae or call +971 50 123 4567; EID 784-1990-1234567-1, IBAN AE070331234567890123456, card 4111-1111-1111-1111, on 2026-12-02.';
      expect(redactPii(text)).toBe('Mail <email> or call <phone>; EID <emirates_id>, IBAN <iban>, card <card>, on 2026-12-02.');
    });

    it('reads the digits of an e-mail or IBAN as part of it, never as a phone number', () => {
      expect(redactPii('00971501234567@example.com')).toBe('<email>');
      expect(detectPii('AE070331234567890123456')).toEqual(['iban']);
    });
  });

  describe('luhnValid', () => {
    it.each([
      ['79927398713', true],
      ['79927398710', false],
      ['0', true],
      ['', false],
    ] as const)('%s → %s', (digits, valid) => {
      expect(luhnValid(digits)).toBe(valid);
    });
  });

  describe('ibanValid', () => {
    it('checks the country length and mod 97', () => {
      expect(ibanValid('AE070331234567890123456')).toBe(true);
      expect(ibanValid('AE0703312345678901234567')).toBe(false);
      expect(ibanValid('AE170331234567890123456')).toBe(false);
    });
  });
});
