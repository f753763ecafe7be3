import { createHmac, hkdfSync } from 'node:crypto';
import { encodeBytesElements, type PayloadRecord, type TensorPayload } from '@falaj/contracts';
import { PayloadKeys } from './payload-keys';
import { PAYLOAD_LIMITS, effectivePolicy, payloadRecordOf, summary, tensorHmac } from './payload-record.policy';

const SECRET = 'k7Qm2vX9pL4sT8wZ1nB6yR3cF0hJ5dGa';
const text = (values: string[]): TensorPayload => ({ name: 'text', datatype: 'BYTES', shape: [values.length], data: encodeBytesElements(values) });
const fp32 = (values: number[]): TensorPayload => ({ name: 'x', datatype: 'FP32', shape: [1, values.length], data: Buffer.from(new Float32Array(values).buffer) });
const PII = ['mail fatima@example.ae', 'call +971 50 123 4567', 'EID 784-1990-1234567-1', 'IBAN AE070331234567890123456', 'card 4111 1111 1111 1111'];

describe('payload-record.policy', () => {
  const keys = new PayloadKeys(SECRET);

  describe('effectivePolicy', () => {
    it.each([
      [undefined, undefined, 'none'],
      ['redact', undefined, 'redact'],
      ['redact', 'full', 'full'],
      ['full', 'none', 'none'],
    ] as const)('tenant %s, model %s → %s', (tenant, model, expected) => {
      expect(effectivePolicy(tenant, model)).toBe(expected);
    });
  });

  describe('payloadRecordOf', () => {
    it('keeps nothing under none', () => {
      expect(payloadRecordOf('none', 'acme', 'e', [text(PII)], [], keys)).toBeNull();
    });

    it('redacts strings to typed placeholders and numbers to statistics', () => {
      const record = payloadRecordOf('redact', 'acme', 'e', [text(PII), fp32([1, 2, 3, 6])], [text(PII)], keys) as Extract<PayloadRecord, { policy: 'redact' | 'hash' }>;
      expect(record.body.request[0]).toMatchObject({ kind: 'text', values: ['mail <email>', 'call <phone>', 'EID <emirates_id>', 'IBAN <iban>', 'card <card>'], truncated: false });
      expect(record.body.request[1]).toEqual({ kind: 'summary', name: 'x', datatype: 'FP32', shape: [1, 4], count: 4, min: 1, max: 6, mean: 3 });
      expect(JSON.stringify(record)).not.toMatch(/fatima|123 4567|1234567-1|AE0703|4111/);
    });

    it('hashes each tensor with the tenant key HKDF derives, which differs per tenant', () => {
      const tensor = text(PII);
      const record = payloadRecordOf('hash', 'acme', 'e', [tensor], [], keys) as Extract<PayloadRecord, { policy: 'redact' | 'hash' }>;
      const key = Buffer.from(hkdfSync('sha256', SECRET, 'falaj-payload-v1:hmac', 'acme', 32));
      const expected = createHmac('sha256', key).update('4:text').update('5:BYTES').update('3:[5]').update(`${tensor.data.length}:`).update(tensor.data).digest('hex');
      expect(record.body.request[0]).toEqual({ kind: 'hmac', name: 'text', datatype: 'BYTES', shape: [5], hmac: expected });
      expect(tensorHmac(tensor, keys.hmacKey('globex'))).not.toBe(expected);
      expect(JSON.stringify(record)).not.toContain('fatima');
    });

    it('seals the raw tensors under full, opened only with the same tenant and event', () => {
      const record = payloadRecordOf('full', 'acme', 'event-1', [text(PII)], [fp32([0.5])], keys) as Extract<PayloadRecord, { policy: 'full' }>;
      expect(Buffer.from(record.sealed, 'base64').toString('latin1')).not.toContain('fatima');
      expect(keys.openBody('acme', record.sealed, 'event-1')).toMatchObject({
        request: [{ kind: 'text', values: PII }],
        response: [{ kind: 'raw', data: Buffer.from(new Float32Array([0.5]).buffer).toString('base64') }],
      });
      expect(() => keys.openBody('globex', record.sealed, 'event-1')).toThrow();
      expect(() => keys.openBody('acme', record.sealed, 'event-2')).toThrow();
    });

    it('keeps a large string tensor within the limits and says it was cut', () => {
      const many = Array.from({ length: PAYLOAD_LIMITS.elements + 5 }, (_, i) => `${i} ${'x'.repeat(PAYLOAD_LIMITS.chars)} fatima@example.ae`);
      const record = payloadRecordOf('redact', 'acme', 'e', [text(many)], [], keys) as Extract<PayloadRecord, { policy: 'redact' | 'hash' }>;
      const kept = record.body.request[0] as { values: string[]; truncated: boolean };
      expect(kept.values).toHaveLength(PAYLOAD_LIMITS.elements);
      expect(kept.truncated).toBe(true);
      expect(kept.values.every((v) => v.length <= PAYLOAD_LIMITS.chars)).toBe(true);
    });
  });

  describe('summary', () => {
    it('counts NaN and infinities but leaves them out of min, max and mean', () => {
      expect(summary(fp32([NaN, Infinity, -2, 4]))).toEqual({ count: 4, min: -2, max: 4, mean: 1 });
      expect(summary(fp32([]))).toEqual({ count: 0, min: null, max: null, mean: null });
    });

    it('reads INT64 and BOOL', () => {
      expect(summary({ name: 'n', datatype: 'INT64', shape: [2], data: Buffer.from(new BigInt64Array([-5n, 7n]).buffer) })).toEqual({ count: 2, min: -5, max: 7, mean: 1 });
      expect(summary({ name: 'b', datatype: 'BOOL', shape: [3], data: Buffer.from([1, 0, 2]) })).toMatchObject({ count: 3, max: 1, min: 0 });
    });
  });

  describe('PayloadKeys', () => {
    it('never shows its secret or keys when logged', () => {
      expect(JSON.stringify({ keys })).not.toContain(SECRET);
      expect(new PayloadKeys(undefined).available).toBe(false);
    });
  });
});
