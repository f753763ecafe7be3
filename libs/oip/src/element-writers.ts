import type { OipDatatype } from '@falaj/contracts';
import { toHalfBits } from './half-float';

/**
 * Writes one run of JSON values (a flat `data` array, or one innermost row of nested data) into
 * the tensor's typed view starting at element `offset`. Returns -1 when every value fitted, or
 * the index in `values` of the first one that did not: the hot loop stays branch-light and
 * allocation-free, and the caller explains the bad value only on the error path.
 */
export type RunWriter = (values: readonly unknown[], offset: number) => number;

/** Builds the run writer for a fixed-size datatype over a buffer sized for `count` elements. */
export type WriterFactory = (buffer: Buffer, count: number) => RunWriter;

/** Magnitudes from here up round to infinity in float32 (halfway past the largest float32). */
const FP32_OVERFLOW = 2 ** 128 - 2 ** 103;
/** Magnitudes from here up round to infinity in binary16 (halfway past 65504). */
const FP16_OVERFLOW = 65520;

export const INTEGER_RANGE = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
} as const;

export const BIGINT_RANGE = {
  INT64: [-(2n ** 63n), 2n ** 63n - 1n],
  UINT64: [0n, 2n ** 64n - 1n],
} as const;

export const DECIMAL_INTEGER = /^-?\d+$/;
/**
 * The longest decimal string a 64-bit element is read from (20 digits, a sign, leading zeros).
 * BigInt parses in superlinear time: a 32 MB digit string would hold the event loop for seconds.
 */
export const MAX_DECIMAL_LENGTH = 64;

type SmallIntegerArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

function integerWriter(view: SmallIntegerArray, min: number, max: number): RunWriter {
  return (values, offset) => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return i;
      view[offset + i] = v;
    }
    return -1;
  };
}

/** 64-bit integers come as safe-integer numbers or as decimal strings (for values past 2^53). */
function bigIntegerWriter(view: BigInt64Array | BigUint64Array, min: bigint, max: bigint): RunWriter {
  return (values, offset) => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      let big: bigint;
      if (typeof v === 'number') {
        if (!Number.isSafeInteger(v)) return i;
        big = BigInt(v);
      } else if (typeof v === 'string' && v.length <= MAX_DECIMAL_LENGTH && DECIMAL_INTEGER.test(v)) {
        big = BigInt(v);
      } else {
        return i;
      }
      if (big < min || big > max) return i;
      view[offset + i] = big;
    }
    return -1;
  };
}

const view = <T>(Type: new (buffer: ArrayBuffer, byteOffset: number, length: number) => T, buffer: Buffer, count: number): T => new Type(buffer.buffer as ArrayBuffer, buffer.byteOffset, count);

export const WRITERS: Record<Exclude<OipDatatype, 'BYTES'>, WriterFactory> = {
  FP32: (buffer, count) => {
    const out = view(Float32Array, buffer, count);
    return (values, offset) => {
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        // The negated comparison also rejects NaN.
        if (typeof v !== 'number' || !(v < FP32_OVERFLOW && v > -FP32_OVERFLOW)) return i;
        out[offset + i] = v;
      }
      return -1;
    };
  },
  FP64: (buffer, count) => {
    const out = view(Float64Array, buffer, count);
    return (values, offset) => {
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (typeof v !== 'number' || !Number.isFinite(v)) return i;
        out[offset + i] = v;
      }
      return -1;
    };
  },
  FP16: (buffer, count) => {
    const out = view(Uint16Array, buffer, count);
    return (values, offset) => {
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (typeof v !== 'number' || !(v < FP16_OVERFLOW && v > -FP16_OVERFLOW)) return i;
        out[offset + i] = toHalfBits(v);
      }
      return -1;
    };
  },
  BOOL: (buffer, count) => {
    const out = view(Uint8Array, buffer, count);
    return (values, offset) => {
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v === true) out[offset + i] = 1;
        else if (v === false) out[offset + i] = 0;
        else return i;
      }
      return -1;
    };
  },
  INT8: (buffer, count) => integerWriter(view(Int8Array, buffer, count), ...INTEGER_RANGE.INT8),
  INT16: (buffer, count) => integerWriter(view(Int16Array, buffer, count), ...INTEGER_RANGE.INT16),
  INT32: (buffer, count) => integerWriter(view(Int32Array, buffer, count), ...INTEGER_RANGE.INT32),
  UINT8: (buffer, count) => integerWriter(view(Uint8Array, buffer, count), ...INTEGER_RANGE.UINT8),
  UINT16: (buffer, count) => integerWriter(view(Uint16Array, buffer, count), ...INTEGER_RANGE.UINT16),
  UINT32: (buffer, count) => integerWriter(view(Uint32Array, buffer, count), ...INTEGER_RANGE.UINT32),
  INT64: (buffer, count) => bigIntegerWriter(view(BigInt64Array, buffer, count), ...BIGINT_RANGE.INT64),
  UINT64: (buffer, count) => bigIntegerWriter(view(BigUint64Array, buffer, count), ...BIGINT_RANGE.UINT64),
};
