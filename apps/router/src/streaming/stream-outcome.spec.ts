import { deadLetterMessage } from './stream-outcome';

describe('deadLetterMessage', () => {
  it('drops the credential header whatever its case, and keeps the others', () => {
    const message = deadLetterMessage({
      kind: 'dead-letter',
      requestId: 'r1',
      reason: 'undecodable: value is not JSON',
      source: 't/0/1',
      original: { key: null, value: Buffer.from('x'), headers: { Authorization: 'Bearer secret-token', AUTHORIZATION: 'Bearer other', tenant: 'acme' } },
    });
    expect(JSON.stringify(message.headers)).not.toMatch(/secret-token|other/);
    expect(message.headers).toMatchObject({ tenant: 'acme', 'request-id': 'r1', 'dlq-reason': 'undecodable: value is not JSON' });
  });

  it('copies only the values a header can carry (kafkajs decodes `constructor` as [<Object>, value])', () => {
    const message = deadLetterMessage({
      kind: 'dead-letter',
      requestId: 'r2',
      reason: 'undecodable: value is not JSON',
      source: 't/0/2',
      original: { key: null, value: Buffer.from('{not json'), headers: { constructor: [Object as unknown as string, Buffer.from('x')], trace: Buffer.from('t') } },
    });
    expect(message.headers!.constructor).toEqual(Buffer.from('x'));
    expect(message.headers!.trace).toEqual(Buffer.from('t'));
  });
});
