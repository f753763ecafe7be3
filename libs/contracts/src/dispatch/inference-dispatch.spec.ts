import { DispatchDecodeError, decodeDispatchEntry, decodeReply, encodeDispatchEntry, encodeReply, type DispatchRequest } from '@falaj/contracts';

const request: DispatchRequest = {
  dispatchId: '0b7e3c52-1f0a-4d4e-9a43-2f8e7f3c9d10',
  requestId: 'r-1',
  tenantId: 'acme',
  model: 'mlp',
  version: 3,
  replyTo: 'gateway-a',
  deadline: 1_900_000_000_000,
  inputs: [
    { name: 'a', datatype: 'FP32', shape: [1, 2], data: Buffer.from(new Float32Array([1.5, -2]).buffer) },
    { name: 'b', datatype: 'BYTES', shape: [1], data: Buffer.from([2, 0, 0, 0, 0x68, 0x69]) },
  ],
  outputs: ['y'],
};

/** ioredis hands stream fields back as a flat list of Buffers. */
const asFields = (entry: (string | Buffer)[]): Buffer[] => entry.map((f) => (Buffer.isBuffer(f) ? f : Buffer.from(f)));

describe('decodeDispatchEntry', () => {
  it('returns the request that was encoded, tensors byte for byte', () => {
    const decoded = decodeDispatchEntry(asFields(encodeDispatchEntry(request)));
    expect({ ...decoded, inputs: decoded.inputs.map((t) => ({ ...t, data: [...t.data] })) }).toEqual({
      ...request,
      inputs: request.inputs.map((t) => ({ ...t, data: [...t.data] })),
    });
  });

  it('carries the trace context when there is one, and none when not', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(decodeDispatchEntry(asFields(encodeDispatchEntry({ ...request, traceparent }))).traceparent).toBe(traceparent);
    expect('traceparent' in decodeDispatchEntry(asFields(encodeDispatchEntry(request)))).toBe(false);
  });

  it('refuses an entry whose data does not match the tensors it declares', () => {
    const [h, header, d, data] = encodeDispatchEntry(request);
    expect(() => decodeDispatchEntry(asFields([h, header, d, data.subarray(1)]))).toThrow(DispatchDecodeError);
    expect(() => decodeDispatchEntry(asFields([h, header, d, Buffer.concat([data, Buffer.from([0])])]))).toThrow('data holds bytes that no tensor claims');
  });

  it('refuses an entry without a JSON header', () => {
    expect(() => decodeDispatchEntry(asFields(['h', '{nope', 'd', Buffer.alloc(0)]))).toThrow('header is not JSON');
    expect(() => decodeDispatchEntry(asFields(['d', Buffer.alloc(0)]))).toThrow('lacks its header');
  });
});

describe('decodeReply', () => {
  const origin = { dispatchId: request.dispatchId, requestId: 'r-1', tenantId: 'acme', model: 'mlp', version: 3, workerId: 'w' };

  it('round-trips a successful reply with its outputs', () => {
    const outputs = [{ name: 'y', datatype: 'INT64' as const, shape: [2], data: Buffer.from(new BigInt64Array([7n, -1n]).buffer) }];
    const reply = decodeReply(encodeReply({ ok: true, ...origin, outputs, computeMs: 0.5 }));
    expect(reply).toMatchObject({ ok: true, ...origin });
    if (!reply.ok) return;
    expect(reply.outputs[0].shape).toEqual([2]);
    expect(new BigInt64Array(new Uint8Array(reply.outputs[0].data).buffer)).toEqual(new BigInt64Array([7n, -1n]));
  });

  it('round-trips an error reply', () => {
    const error = { ok: false as const, ...origin, status: 503, error: 'not loaded' };
    expect(decodeReply(encodeReply(error))).toEqual(error);
  });

  it('refuses a reply that does not say which dispatch, tenant and model it answers', () => {
    const header = Buffer.from(JSON.stringify({ ok: false, requestId: 'r-1', workerId: 'w', status: 503, error: 'x' }));
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32LE(header.length, 0);
    expect(() => decodeReply(Buffer.concat([prefix, header]))).toThrow(DispatchDecodeError);
  });

  it('refuses a message whose header length overruns it', () => {
    const message = Buffer.alloc(8);
    message.writeUInt32LE(100, 0);
    expect(() => decodeReply(message)).toThrow('reply header overruns the message');
  });
});
