import type { OipDatatype, TensorPayload } from '@falaj/contracts';
import { Tensor } from 'onnxruntime-node';
import { fromOrtTensor, toOrtTensor } from './ort-tensor.converter';

/** The little-endian bytes of a typed array, as a payload carries them. */
const bytesOf = (values: ArrayBufferView): Buffer => Buffer.from(values.buffer, values.byteOffset, values.byteLength);

/** A copy of `bytes` placed at an odd byteOffset inside a larger buffer, like a slice of a binary body. */
function unaligned(bytes: Buffer): Buffer {
  const backing = Buffer.alloc(bytes.length + 3);
  bytes.copy(backing, 1);
  return backing.subarray(1, 1 + bytes.length);
}

type TypedValues = ArrayBufferView & ArrayLike<unknown> & { readonly BYTES_PER_ELEMENT: number };

const FIXED_SIZE_CASES: Array<{ datatype: OipDatatype; ortType: Tensor.Type; values: TypedValues }> = [
  { datatype: 'BOOL', ortType: 'bool', values: new Uint8Array([1, 0, 0, 1, 1, 0]) },
  { datatype: 'UINT8', ortType: 'uint8', values: new Uint8Array([0, 1, 127, 128, 254, 255]) },
  { datatype: 'UINT16', ortType: 'uint16', values: new Uint16Array([0, 1, 256, 32768, 65534, 65535]) },
  { datatype: 'UINT32', ortType: 'uint32', values: new Uint32Array([0, 1, 65536, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1]) },
  { datatype: 'UINT64', ortType: 'uint64', values: new BigUint64Array([0n, 1n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 2n, 2n ** 64n - 1n]) },
  { datatype: 'INT8', ortType: 'int8', values: new Int8Array([-128, -1, 0, 1, 100, 127]) },
  { datatype: 'INT16', ortType: 'int16', values: new Int16Array([-32768, -1, 0, 1, 1000, 32767]) },
  { datatype: 'INT32', ortType: 'int32', values: new Int32Array([-(2 ** 31), -1, 0, 1, 123456, 2 ** 31 - 1]) },
  { datatype: 'INT64', ortType: 'int64', values: new BigInt64Array([-(2n ** 63n), -1n, 0n, 1n, 2n ** 53n + 1n, 2n ** 63n - 1n]) },
  // FP16 as raw half bits: 1.0, -2.0, 65504 (max), smallest subnormal, +inf, NaN.
  { datatype: 'FP16', ortType: 'float16', values: new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x7e00]) },
  { datatype: 'FP32', ortType: 'float32', values: new Float32Array([-1.5, 0, 0.1, 3.4e38, -Infinity, Number.NaN]) },
  { datatype: 'FP64', ortType: 'float64', values: new Float64Array([-1.5, 0, 0.1, 1e308, Number.MIN_VALUE, Math.PI]) },
];

describe(toOrtTensor.name, () => {
  it.each(FIXED_SIZE_CASES)('wraps $datatype as an ORT $ortType tensor with the same elements', ({ datatype, ortType, values }) => {
    const tensor = toOrtTensor({ name: 'x', datatype, shape: [2, 3], data: bytesOf(values) });
    expect(tensor.type).toBe(ortType);
    expect(tensor.dims).toEqual([2, 3]);
    expect(Array.from(tensor.data as ArrayLike<unknown>)).toEqual(Array.from(values));
  });

  it('views the payload bytes without copying when they are aligned', () => {
    const data = bytesOf(new Float32Array([1, 2, 3, 4]));
    const tensor = toOrtTensor({ name: 'x', datatype: 'FP32', shape: [4], data });
    data.writeFloatLE(42, 0);
    expect((tensor.data as Float32Array)[0]).toBe(42);
  });

  it.each(FIXED_SIZE_CASES.filter((c) => c.values.BYTES_PER_ELEMENT > 1))('copies $datatype bytes whose byteOffset is not a multiple of the element size', ({ datatype, values }) => {
    const data = unaligned(bytesOf(values));
    const tensor = toOrtTensor({ name: 'x', datatype, shape: [6], data });
    expect(Array.from(tensor.data as ArrayLike<unknown>)).toEqual(Array.from(values));
    data[0] ^= 0xff; // the copy is independent of the payload
    expect(Array.from(tensor.data as ArrayLike<unknown>)).toEqual(Array.from(values));
  });

  it('decodes BYTES into strings, including empty and multi-byte UTF-8 ones', () => {
    const strings = ['', 'a', 'héllo', '日本語', '🙂', ''];
    const data = Buffer.concat(
      strings.flatMap((s) => {
        const bytes = Buffer.from(s, 'utf8');
        const length = Buffer.alloc(4);
        length.writeUInt32LE(bytes.length);
        return [length, bytes];
      }),
    );
    const tensor = toOrtTensor({ name: 'text', datatype: 'BYTES', shape: [2, 3], data: unaligned(data) });
    expect(tensor.type).toBe('string');
    expect(tensor.dims).toEqual([2, 3]);
    expect(tensor.data).toEqual(strings);
  });

  it('treats shape [] as a scalar of one element', () => {
    const tensor = toOrtTensor({ name: 'x', datatype: 'INT32', shape: [], data: bytesOf(new Int32Array([7])) });
    expect(tensor.dims).toEqual([]);
    expect(Array.from(tensor.data as Int32Array)).toEqual([7]);
  });

  it('rejects data whose length does not fit the shape, naming the tensor', () => {
    const payload: TensorPayload = { name: 'x', datatype: 'FP32', shape: [2, 2], data: Buffer.alloc(12) };
    expect(() => toOrtTensor(payload)).toThrow("tensor 'x': 12 bytes of FP32 do not fit shape [2,2] (16 expected)");
  });

  it('rejects BYTES data that ends inside an element', () => {
    const data = Buffer.from([5, 0, 0, 0, 0x61, 0x62]);
    expect(() => toOrtTensor({ name: 's', datatype: 'BYTES', shape: [1], data })).toThrow("tensor 's': BYTES element 0 runs past the data");
  });

  it('rejects BYTES data with bytes left over after the last element', () => {
    const data = Buffer.from([1, 0, 0, 0, 0x61, 0x62]);
    expect(() => toOrtTensor({ name: 's', datatype: 'BYTES', shape: [1], data })).toThrow('1 bytes left over after 1 BYTES elements');
  });
});

describe(fromOrtTensor.name, () => {
  it.each(FIXED_SIZE_CASES)('round-trips $datatype bytes through an ORT tensor unchanged', ({ datatype, values }) => {
    const data = bytesOf(values);
    const payload = fromOrtTensor('y', toOrtTensor({ name: 'x', datatype, shape: [3, 2], data: unaligned(data) }));
    expect(payload).toEqual({ name: 'y', datatype, shape: [3, 2], data });
  });

  it('views the tensor memory without copying', () => {
    const values = new Float64Array([1, 2]);
    const payload = fromOrtTensor('y', new Tensor('float64', values, [2]));
    values[1] = 9;
    expect(payload.data.readDoubleLE(8)).toBe(9);
  });

  it('encodes string tensors as BYTES with a 4-byte little-endian length before each element', () => {
    const payload = fromOrtTensor('y', new Tensor('string', ['', 'é', 'ab'], [3]));
    expect(payload.datatype).toBe('BYTES');
    expect(payload.shape).toEqual([3]);
    expect([...payload.data]).toEqual([0, 0, 0, 0, 2, 0, 0, 0, 0xc3, 0xa9, 2, 0, 0, 0, 0x61, 0x62]);
  });

  it('round-trips BYTES with empty and multi-byte strings', () => {
    const strings = ['', 'naïve', '中文', '👩‍💻', ''];
    const payload = fromOrtTensor('y', new Tensor('string', strings, [5, 1]));
    expect(toOrtTensor(payload).data).toEqual(strings);
  });

  it('copies ORT dims into a plain number array', () => {
    const payload = fromOrtTensor('y', new Tensor('int8', new Int8Array(6), [1, 2, 3]));
    expect(Array.isArray(payload.shape)).toBe(true);
    expect(payload.shape).toEqual([1, 2, 3]);
  });

  it('rejects ORT types OIP has no datatype for', () => {
    const tensor = new Tensor('uint4', new Uint8Array(1), [2]);
    expect(() => fromOrtTensor('y', tensor)).toThrow("tensor 'y': ORT type uint4 has no OIP datatype");
  });
});
