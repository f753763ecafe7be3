import { DATATYPE_BYTE_SIZE, decodeBytesElements, elementCount, type TensorPayload } from '@falaj/contracts';
import { fromHalfBits } from './half-float';
import { OipError } from './oip.error';

export type JsonTensorData = number[] | boolean[] | string[];

type ViewConstructor<T> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; new (length: number): T; BYTES_PER_ELEMENT: number };

/**
 * An output tensor's bytes as a flat JSON array: numbers (FP16 decoded; INT64/UINT64 as
 * numbers, see below), booleans for BOOL, UTF-8 strings for BYTES. Throws OipError(500) when
 * the bytes do not fit the shape: that is a worker's bug, not the client's.
 *
 * INT64/UINT64 become JSON numbers, as Triton writes them and as tritonclient and KServe
 * clients parse them (straight into an int64 numpy array). Values beyond ±2^53 lose precision
 * in a JS number, as they do in any client that parses JSON numbers as doubles; callers that
 * need them exact should use the binary tensor extension.
 */
export function decodeJsonTensorData(payload: TensorPayload): JsonTensorData {
  const { name, datatype, shape, data } = payload;
  const count = elementCount(shape);
  if (datatype === 'BYTES') {
    try {
      return decodeBytesElements(data, count, name);
    } catch (error) {
      throw new OipError(500, `output '${name}': ${(error as Error).message}`, 'output_undecodable');
    }
  }
  const size = DATATYPE_BYTE_SIZE[datatype] as number;
  if (data.byteLength !== count * size) {
    throw new OipError(500, `output '${name}': ${data.byteLength} bytes of ${datatype} do not fit shape [${shape.join(',')}]`, 'output_undecodable');
  }
  switch (datatype) {
    case 'BOOL': {
      const out = new Array<boolean>(count);
      for (let i = 0; i < count; i++) out[i] = data[i] !== 0;
      return out;
    }
    case 'FP16': {
      const bits = viewOf(Uint16Array, data, count);
      const out = new Array<number>(count);
      for (let i = 0; i < count; i++) out[i] = fromHalfBits(bits[i]);
      return out;
    }
    case 'INT64':
    case 'UINT64': {
      const values = datatype === 'INT64' ? viewOf(BigInt64Array, data, count) : viewOf(BigUint64Array, data, count);
      const out = new Array<number>(count);
      for (let i = 0; i < count; i++) out[i] = Number(values[i]);
      return out;
    }
    case 'UINT8':
      return toNumbers(data, count);
    case 'INT8':
      return toNumbers(viewOf(Int8Array, data, count), count);
    case 'UINT16':
      return toNumbers(viewOf(Uint16Array, data, count), count);
    case 'INT16':
      return toNumbers(viewOf(Int16Array, data, count), count);
    case 'UINT32':
      return toNumbers(viewOf(Uint32Array, data, count), count);
    case 'INT32':
      return toNumbers(viewOf(Int32Array, data, count), count);
    case 'FP32':
      return toNumbers(viewOf(Float32Array, data, count), count);
    case 'FP64':
      return toNumbers(viewOf(Float64Array, data, count), count);
  }
}

/** An indexed copy loop: about 2.5× faster than Array.from, which goes through the iterator. */
function toNumbers(values: ArrayLike<number>, count: number): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = values[i];
  return out;
}

/** A typed view over the bytes, or over an aligned copy when their offset does not allow one. */
function viewOf<T>(Type: ViewConstructor<T>, data: Buffer, count: number): T {
  if (data.byteOffset % Type.BYTES_PER_ELEMENT === 0) return new Type(data.buffer as ArrayBuffer, data.byteOffset, count);
  const copy = new Type(count);
  new Uint8Array((copy as unknown as ArrayBufferView).buffer).set(data);
  return copy;
}
