import fc from 'fast-check';
import { mutateBytesArb, mutateJsonArb, nastyValueArb, propertyRuns } from '@falaj/testing';
import { parseStreamMessage, type RawStreamMessage } from './stream-message.parser';

/**
 * Property of the streaming bridge's message reader: for any Kafka message — any key, value and
 * headers, as kafkajs decodes them off the wire (a header value may be null, several values an
 * array) — parseStreamMessage never throws, and it returns a request id of at most 200
 * characters with either a request or a reason.
 */
const valid = { model_name: 'tiny-mlp', id: 'c-1', inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] };
const validBytes = Buffer.from(JSON.stringify(valid));

const bytesArb = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  fc.string({ maxLength: 300 }).map((s) => Buffer.from(s)),
);
const headerValueArb = fc.oneof(
  bytesArb,
  fc.string({ maxLength: 300 }),
  fc.constantFrom<unknown>(null, undefined, '', '..', '.', 'Bearer x', '\u0000'),
  fc.array(fc.oneof(bytesArb, fc.string({ maxLength: 20 }), fc.constantFrom<unknown>(null, Object.prototype, Object)), { maxLength: 3 }),
);
const headerNameArb = fc.oneof(
  fc.constantFrom('authorization', 'Authorization', 'AUTHORIZATION', 'request-id', 'Request-Id', 'reply-topic', 'tenant', 'traceparent', '__proto__', 'constructor', 'toString', ''),
  fc.string({ maxLength: 10 }),
);

const messageArb: fc.Arbitrary<RawStreamMessage> = fc.record({
  key: fc.oneof(fc.constant(null), bytesArb, fc.constant(Buffer.from('x'.repeat(300)))),
  value: fc.oneof(
    fc.constant(null),
    bytesArb,
    mutateBytesArb(validBytes),
    mutateJsonArb(valid).map((v) => Buffer.from(JSON.stringify(v))),
    nastyValueArb.map((v) => Buffer.from(JSON.stringify(v ?? null))),
    fc.constant(validBytes),
  ),
  headers: fc.option(
    fc.dictionary(headerNameArb, headerValueArb, { maxKeys: 5 }).map((h) => ({ ...h }) as RawStreamMessage['headers']),
    { nil: undefined },
  ),
  partition: fc.nat(100),
  offset: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 63n }).map(String), fc.constant('0')),
});

describe('parseStreamMessage (property)', () => {
  it('never throws on any message, and always gives a bounded request id with a request or a reason', () => {
    fc.assert(
      fc.property(messageArb, (message) => {
        const parsed = parseStreamMessage(message);
        expect(parsed.requestId.length).toBeGreaterThan(0);
        expect(parsed.requestId.length).toBeLessThanOrEqual(200);
        if (parsed.ok) expect(typeof parsed.request.model_name).toBe('string');
        else expect(parsed.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: propertyRuns(1000) },
    );
  });

  it("reads a message whose headers kafkajs decoded with a null value, taking each header's first present value", () => {
    const headers = { authorization: 'Bearer t', 'request-id': null, tenant: [null, 'acme'] } as unknown as RawStreamMessage['headers'];
    expect(parseStreamMessage({ key: Buffer.from('k'), value: validBytes, headers, partition: 0, offset: '1' })).toMatchObject({ ok: true, requestId: 'k', authorization: 'Bearer t', tenant: 'acme' });
  });

  it('reads a header as kafkajs decodes one named after an Object.prototype property, taking only strings and bytes', () => {
    // kafkajs: obj['constructor'] is not undefined, so the value becomes [Object, value].
    const headers = { constructor: [Object, Buffer.from('x')], 'Request-Id': [Object.prototype, Buffer.from('r-7')] } as unknown as RawStreamMessage['headers'];
    expect(parseStreamMessage({ key: null, value: validBytes, headers, partition: 0, offset: '3' })).toMatchObject({ ok: true, requestId: 'r-7' });
  });

  it('does not take a header named __proto__ or constructor for a stream header', () => {
    const headers = { __proto__: 'x', constructor: 'y', authorization: 'Bearer t' } as unknown as RawStreamMessage['headers'];
    const parsed = parseStreamMessage({ key: null, value: validBytes, headers: JSON.parse(JSON.stringify(headers)), partition: 1, offset: '2' });
    expect(parsed).toMatchObject({ ok: true, requestId: 'p1-o2', tenant: undefined });
  });
});
