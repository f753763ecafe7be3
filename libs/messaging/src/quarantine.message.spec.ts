import { QUARANTINE_HEADERS } from '@falaj/contracts';
import { quarantineMessage } from './quarantine.message';

describe('quarantineMessage', () => {
  const origin = { topic: 'falaj.audit.v1', partition: 2, offset: '41', groupId: 'falaj-registry-audit-writer' };

  it('keeps the original bytes and headers, and says where the record came from and why', () => {
    const value = Buffer.from('{"model":"\\u0000"}');
    const message = quarantineMessage(
      { key: Buffer.from('r-1'), value, headers: { tenant: Buffer.from('acme') } },
      origin,
      { kind: 'rejected', reason: '22021: invalid byte sequence for encoding "UTF8": 0x00' },
      new Date('2026-01-01T00:00:00.000Z'),
    );
    expect(message.value).toBe(value);
    expect(message.key).toEqual(Buffer.from('r-1'));
    expect(message.headers).toEqual({
      tenant: Buffer.from('acme'),
      [QUARANTINE_HEADERS.kind]: 'rejected',
      [QUARANTINE_HEADERS.reason]: '22021: invalid byte sequence for encoding "UTF8": 0x00',
      [QUARANTINE_HEADERS.topic]: 'falaj.audit.v1',
      [QUARANTINE_HEADERS.partition]: '2',
      [QUARANTINE_HEADERS.offset]: '41',
      [QUARANTINE_HEADERS.group]: 'falaj-registry-audit-writer',
      [QUARANTINE_HEADERS.at]: '2026-01-01T00:00:00.000Z',
    });
  });

  it('drops credential headers whatever the case of their names', () => {
    const message = quarantineMessage({ key: null, value: null, headers: { Authorization: 'Bearer secret', 'X-API-Key': 'k', tenant: 'acme' } }, origin, { kind: 'invalid', reason: 'not JSON' });
    expect(Object.keys(message.headers!).filter((h) => !h.startsWith('quarantine-'))).toEqual(['tenant']);
  });

  it('keeps a long or hostile reason short and storable', () => {
    const message = quarantineMessage({ key: null, value: null }, origin, { kind: 'invalid', reason: `\u0000${'x'.repeat(5000)}` });
    const reason = message.headers![QUARANTINE_HEADERS.reason] as string;
    expect(reason.length).toBeLessThanOrEqual(1000);
    expect(reason.startsWith('\\u0000x')).toBe(true);
  });
});
