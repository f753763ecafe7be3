import type { OipDatatype } from '@falaj/contracts';
import { BIGINT_RANGE, DECIMAL_INTEGER, INTEGER_RANGE, MAX_DECIMAL_LENGTH } from './element-writers';

/**
 * Why `value` cannot be an element of `datatype`, phrased to follow "element N". Only called
 * on the error path, after a run writer has pointed at the value.
 */
export function explainInvalidElement(datatype: OipDatatype, value: unknown): string {
  switch (datatype) {
    case 'BOOL':
      return `must be a boolean for BOOL, got ${describeValue(value)}`;
    case 'BYTES':
      return `must be a string for BYTES, got ${describeValue(value)}`;
    case 'FP16':
    case 'FP32':
    case 'FP64':
      if (typeof value !== 'number') return `must be a number for ${datatype}, got ${describeValue(value)}`;
      if (!Number.isFinite(value)) return `(${value}) is not a finite number`;
      return `(${value}) is out of range for ${datatype}: it would overflow to infinity`;
    case 'INT64':
    case 'UINT64': {
      const [min, max] = BIGINT_RANGE[datatype];
      if (typeof value === 'number') {
        if (!Number.isInteger(value)) return `(${value}) is not an integer, as ${datatype} requires`;
        if (!Number.isSafeInteger(value)) {
          return `(${value}) is not a safe integer: send ${datatype} values beyond ±(2^53-1) as decimal strings`;
        }
        return `(${value}) is out of range for ${datatype} [${min}, ${max}]`;
      }
      if (typeof value !== 'string') return `must be an integer or a decimal string for ${datatype}, got ${describeValue(value)}`;
      if (!DECIMAL_INTEGER.test(value)) return `(${JSON.stringify(shorten(value))}) is not a decimal integer string`;
      if (value.length > MAX_DECIMAL_LENGTH) return `(${shorten(value)}) is out of range for ${datatype}: longer than ${MAX_DECIMAL_LENGTH} characters`;
      return `(${value}) is out of range for ${datatype} [${min}, ${max}]`;
    }
    default: {
      const [min, max] = INTEGER_RANGE[datatype];
      if (typeof value !== 'number') return `must be a number for ${datatype}, got ${describeValue(value)}`;
      if (!Number.isInteger(value)) return `(${value}) is not an integer, as ${datatype} requires`;
      return `(${value}) is out of range for ${datatype} [${min}, ${max}]`;
    }
  }
}

/** A short, safe rendering of a JSON value for an error message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `string ${JSON.stringify(shorten(value))}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${value}`;
  return typeof value; // undefined, or a symbol or function, which JSON never holds
}

/** A client's string as an error message shows it: at most 32 characters. */
function shorten(value: string): string {
  return value.length > 32 ? `${value.slice(0, 32)}…` : value;
}
