import type { ModelSignature, OipDatatype, TensorPayload } from '@falaj/contracts';
import { decodeJsonInferRequest } from './json-infer-request.decoder';
import { encodeJsonInferResponse } from './json-infer-response.encoder';
import { OipError } from './oip.error';

const bytesOf = (values: ArrayBufferView): Buffer => Buffer.from(values.buffer, values.byteOffset, values.byteLength);

/** A copy placed at an odd byteOffset, as a tensor cut out of a larger reply buffer. */
function unaligned(bytes: Buffer): Buffer {
  const backing = Buffer.alloc(bytes.length + 1);
  bytes.copy(backing, 1);
  return backing.subarray(1);
}

const respond = (output: TensorPayload) => encodeJsonInferResponse({ modelName: 'm', modelVersion: '1', outputs: [output] });

describe(encodeJsonInferResponse.name, () => {
  describe('envelope', () => {
    it('writes model name, version, id, parameters and every output in order', () => {
      const response = encodeJsonInferResponse({
        modelName: 'tiny-mlp',
        modelVersion: '3',
        id: 'req-1',
        parameters: { sequence_end: true },
        outputs: [
          { name: 'a', datatype: 'INT8', shape: [1], data: Buffer.from([5]) },
          { name: 'b', datatype: 'BOOL', shape: [1], data: Buffer.from([1]) },
        ],
      });
      expect(response).toEqual({
        model_name: 'tiny-mlp',
        model_version: '3',
        id: 'req-1',
        parameters: { sequence_end: true },
        outputs: [
          { name: 'a', datatype: 'INT8', shape: [1], data: [5] },
          { name: 'b', datatype: 'BOOL', shape: [1], data: [true] },
        ],
      });
    });

    it('leaves id and parameters out when there are none', () => {
      const json = JSON.stringify(encodeJsonInferResponse({ modelName: 'm', modelVersion: '1', outputs: [] }));
      expect(json).toBe('{"model_name":"m","model_version":"1","outputs":[]}');
    });
  });

  describe('outputs', () => {
    const CASES: Array<{ datatype: OipDatatype; data: Buffer; expected: unknown[] }> = [
      { datatype: 'BOOL', data: Buffer.from([1, 0, 0, 1]), expected: [true, false, false, true] },
      { datatype: 'UINT8', data: Buffer.from([0, 1, 254, 255]), expected: [0, 1, 254, 255] },
      { datatype: 'UINT16', data: bytesOf(new Uint16Array([0, 1, 65534, 65535])), expected: [0, 1, 65534, 65535] },
      { datatype: 'UINT32', data: bytesOf(new Uint32Array([0, 1, 2 ** 32 - 2, 2 ** 32 - 1])), expected: [0, 1, 2 ** 32 - 2, 2 ** 32 - 1] },
      {
        datatype: 'UINT64',
        data: bytesOf(new BigUint64Array([0n, 1n, 2n ** 53n - 1n, 2n ** 64n - 1n])),
        expected: [0, 1, Number.MAX_SAFE_INTEGER, 2 ** 64],
      },
      { datatype: 'INT8', data: bytesOf(new Int8Array([-128, -1, 0, 127])), expected: [-128, -1, 0, 127] },
      { datatype: 'INT16', data: bytesOf(new Int16Array([-32768, -1, 0, 32767])), expected: [-32768, -1, 0, 32767] },
      { datatype: 'INT32', data: bytesOf(new Int32Array([-(2 ** 31), -1, 0, 2 ** 31 - 1])), expected: [-(2 ** 31), -1, 0, 2 ** 31 - 1] },
      {
        datatype: 'INT64',
        data: bytesOf(new BigInt64Array([-(2n ** 53n) + 1n, -1n, 0n, 2n ** 53n - 1n])),
        expected: [Number.MIN_SAFE_INTEGER, -1, 0, Number.MAX_SAFE_INTEGER],
      },
      {
        datatype: 'FP16',
        data: bytesOf(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001])),
        expected: [1, -2, 65504, 2 ** -24],
      },
      { datatype: 'FP32', data: bytesOf(new Float32Array([0.5, -1.5, 0.1, 0])), expected: [0.5, -1.5, Math.fround(0.1), 0] },
      { datatype: 'FP64', data: bytesOf(new Float64Array([0.1, -1.5, 1e308, 5e-324])), expected: [0.1, -1.5, 1e308, 5e-324] },
      {
        datatype: 'BYTES',
        data: Buffer.from([0, 0, 0, 0, 1, 0, 0, 0, 0x61, 2, 0, 0, 0, 0xc3, 0xa9, 4, 0, 0, 0, 0xf0, 0x9f, 0x99, 0x82]),
        expected: ['', 'a', 'é', '🙂'],
      },
    ];

    it.each(CASES)('writes $datatype as a flat JSON array', ({ datatype, data, expected }) => {
      const response = respond({ name: 'y', datatype, shape: [2, 2], data });
      expect(response.outputs).toEqual([{ name: 'y', datatype, shape: [2, 2], data: expected }]);
    });

    it.each(CASES.filter((c) => !['BOOL', 'UINT8', 'INT8', 'BYTES'].includes(c.datatype)))('reads $datatype from an unaligned buffer', ({ datatype, data, expected }) => {
      expect(respond({ name: 'y', datatype, shape: [4], data: unaligned(data) }).outputs[0].data).toEqual(expected);
    });

    it('writes INT64 beyond 2^53 as the nearest JSON number (documented precision loss)', () => {
      const data = bytesOf(new BigInt64Array([2n ** 53n + 1n]));
      expect(respond({ name: 'y', datatype: 'INT64', shape: [1], data }).outputs[0].data).toEqual([2 ** 53]);
    });

    it('decodes FP16 infinities and NaN', () => {
      const data = bytesOf(new Uint16Array([0x7c00, 0xfc00, 0x7e00]));
      expect(respond({ name: 'y', datatype: 'FP16', shape: [3], data }).outputs[0].data).toEqual([Infinity, -Infinity, Number.NaN]);
    });

    it('fails with OipError 500 when the bytes do not fit the shape', () => {
      const attempt = () => respond({ name: 'y', datatype: 'FP32', shape: [3], data: Buffer.alloc(8) });
      expect(attempt).toThrow(OipError);
      expect(attempt).toThrow(expect.objectContaining({ status: 500, message: "output 'y': 8 bytes of FP32 do not fit shape [3]" }));
    });

    it('fails with OipError 500 when BYTES framing is broken', () => {
      const attempt = () => respond({ name: 'y', datatype: 'BYTES', shape: [1], data: Buffer.from([9, 0, 0, 0, 0x61]) });
      expect(attempt).toThrow(expect.objectContaining({ status: 500, message: "output 'y': tensor 'y': BYTES element 0 runs past the data" }));
    });
  });

  describe('round trip with decodeJsonInferRequest', () => {
    const ROUND_TRIP: Array<{ datatype: OipDatatype; data: unknown[] }> = [
      { datatype: 'BOOL', data: [true, false] },
      { datatype: 'UINT8', data: [0, 255] },
      { datatype: 'UINT16', data: [0, 65535] },
      { datatype: 'UINT32', data: [0, 4294967295] },
      { datatype: 'UINT64', data: [0, Number.MAX_SAFE_INTEGER] },
      { datatype: 'INT8', data: [-128, 127] },
      { datatype: 'INT16', data: [-32768, 32767] },
      { datatype: 'INT32', data: [-2147483648, 2147483647] },
      { datatype: 'INT64', data: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] },
      { datatype: 'FP16', data: [-0.333251953125, 6.103515625e-5] },
      { datatype: 'FP32', data: [Math.fround(0.1), -3.5] },
      { datatype: 'FP64', data: [0.1, -1e-300] },
      { datatype: 'BYTES', data: ['', '日本語'] },
    ];

    it.each(ROUND_TRIP)('returns the same $datatype values the request sent', ({ datatype, data }) => {
      const signature: ModelSignature = { inputs: [{ name: 'x', datatype, shape: [-1] }], outputs: [] };
      const [input] = decodeJsonInferRequest({ inputs: [{ name: 'x', datatype, shape: [2], data }] }, signature).inputs;
      expect(respond(input).outputs[0].data).toEqual(data);
    });
  });
});
