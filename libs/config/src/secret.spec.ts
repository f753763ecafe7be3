import { randomBytes } from 'node:crypto';
import { estimatedBits, strongSecret } from './secret';

describe('strongSecret', () => {
  const schema = strongSecret();

  it('accepts generated secrets', () => {
    expect(schema.safeParse(randomBytes(32).toString('base64url')).success).toBe(true);
    expect(schema.safeParse(randomBytes(32).toString('hex')).success).toBe(true);
  });

  it('refuses the placeholders this repository once shipped, and other made-up values', () => {
    for (const value of [
      'replace-me-with-at-least-32-random-characters',
      'falaj-local-dev-only-jwt-secret-do-not-deploy',
      'x'.repeat(64),
      'abababababababababababababababababababab',
      '0123456789012345678901234567890123456789',
      'short',
    ]) {
      expect(schema.safeParse(value).success).toBe(false);
    }
  });

  it('estimates bits from the characters used', () => {
    expect(estimatedBits('a'.repeat(40))).toBe(0);
    expect(estimatedBits('ab'.repeat(20))).toBeLessThanOrEqual(40);
  });
});
