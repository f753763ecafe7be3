import { decodeBytesElements, elementCount, type TensorPayload } from '@falaj/contracts';
import { fromHalfBits } from '@falaj/oip';

/**
 * ONNX's backend test runner compares with numpy's assert_allclose(rtol=1e-3, atol=1e-7)
 * (onnx/backend/test/runner/__init__.py, `assert_similar_outputs`), strings with exact equality,
 * after checking dtype and shape. NaN equals NaN there (equal_nan defaults to true).
 */
export const ONNX_RTOL = 1e-3;
export const ONNX_ATOL = 1e-7;

export type Elements = number[] | bigint[] | string[];

/** A payload's elements as JS values: numbers, bigints for 64-bit integers, strings for BYTES. */
export function elementsOf(payload: TensorPayload): Elements {
  const { datatype, shape, data } = payload;
  const count = elementCount(shape);
  const aligned = Buffer.from(data); // a fresh copy: every typed view over it is aligned
  const view = <T>(Type: new (b: ArrayBuffer, o: number, n: number) => T) => new Type(aligned.buffer, aligned.byteOffset, count);
  switch (datatype) {
    case 'BYTES':
      return decodeBytesElements(data, count, payload.name);
    case 'BOOL':
    case 'UINT8':
      return Array.from(aligned.subarray(0, count));
    case 'INT8':
      return Array.from(view(Int8Array));
    case 'INT16':
      return Array.from(view(Int16Array));
    case 'UINT16':
      return Array.from(view(Uint16Array));
    case 'INT32':
      return Array.from(view(Int32Array));
    case 'UINT32':
      return Array.from(view(Uint32Array));
    case 'INT64':
      return Array.from(view(BigInt64Array));
    case 'UINT64':
      return Array.from(view(BigUint64Array));
    case 'FP16':
      return Array.from(view(Uint16Array), fromHalfBits);
    case 'FP32':
      return Array.from(view(Float32Array));
    case 'FP64':
      return Array.from(view(Float64Array));
  }
}

/** Why `actual` is not `expected` within ONNX's tolerances, or null when it is. */
export function compareTensors(expected: TensorPayload, actual: TensorPayload, rtol = ONNX_RTOL, atol = ONNX_ATOL): string | null {
  if (expected.datatype !== actual.datatype) return `datatype ${actual.datatype}, expected ${expected.datatype}`;
  if (expected.shape.join(',') !== actual.shape.join(',')) return `shape [${actual.shape}], expected [${expected.shape}]`;
  const want = elementsOf(expected);
  const got = elementsOf(actual);
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const g = got[i];
    if (typeof w === 'string' || typeof w === 'bigint') {
      if (w !== g) return `element ${i} is ${String(g)}, expected ${String(w)}`;
      continue;
    }
    const n = g as number;
    if (Number.isNaN(w) && Number.isNaN(n)) continue;
    if (w === n) continue; // also equal infinities
    if (!Number.isFinite(w) || !Number.isFinite(n)) return `element ${i} is ${n}, expected ${w}`;
    if (!(Math.abs(n - w) <= atol + rtol * Math.abs(w))) return `element ${i} is ${n}, expected ${w} (rtol ${rtol}, atol ${atol})`;
  }
  return null;
}
