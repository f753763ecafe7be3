import { parseStreamMessage, type RawStreamMessage } from './stream-message.parser';

const request = { model_name: 'mlp', id: 'c-1', inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] };
const message = (overrides: Partial<RawStreamMessage> = {}): RawStreamMessage => ({
  key: Buffer.from('r-1'),
  value: Buffer.from(JSON.stringify(request)),
  headers: { authorization: Buffer.from('Bearer t'), 'reply-topic': 'answers' },
  partition: 2,
  offset: '17',
  ...overrides,
});

describe('parseStreamMessage', () => {
  it('reads the request, its id from the key, and the headers', () => {
    expect(parseStreamMessage(message())).toEqual({
      ok: true,
      requestId: 'r-1',
      orderingKey: 'r-1',
      replyTopic: 'answers',
      authorization: 'Bearer t',
      tenant: undefined,
      traceparent: undefined,
      request,
    });
  });

  it('prefers the request-id header to the key, keeping the key for ordering', () => {
    const parsed = parseStreamMessage(message({ headers: { 'request-id': 'h-9' } }));
    expect(parsed).toMatchObject({ ok: true, requestId: 'h-9', orderingKey: 'r-1' });
  });

  it('derives a stable id from the position when there is none, so a redelivery is the same request', () => {
    const parsed = parseStreamMessage(message({ key: null, headers: {} }));
    expect(parsed.requestId).toBe('p2-o17');
  });

  it.each([
    ['a value that is not JSON', { value: Buffer.from('{oops') }, 'undecodable: value is not JSON'],
    ['an empty value', { value: null }, 'empty message'],
    ['a request without a model', { value: Buffer.from('{"inputs":[]}') }, 'undecodable: model_name'],
    ['a request without inputs', { value: Buffer.from('{"model_name":"m"}') }, 'undecodable: inputs'],
    ['a bad reply topic', { headers: { 'reply-topic': 'no spaces allowed' } }, "reply-topic 'no spaces allowed' is not a topic name"],
  ])('sends %s to the dead-letter topic with the reason', (_case, overrides, reason) => {
    const parsed = parseStreamMessage(message(overrides));
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });
});
