import { DATATYPE_BYTE_SIZE, elementCount, encodeBytesElements, type OipDatatype } from '@falaj/contracts';
import { explainInvalidElement } from './element-problem';
import { WRITERS, type RunWriter } from './element-writers';
import { OipError } from './oip.error';

/**
 * Encodes an input's JSON `data` into Triton's binary layout. `data` is either flat row-major
 * or nested to exactly the shape's depth; nested data is walked row by row, never flattened
 * into an intermediate array. Throws OipError(400) naming the input and the bad element.
 */
export function encodeJsonTensorData(name: string, datatype: OipDatatype, shape: readonly number[], data: readonly unknown[]): Buffer {
  const count = elementCount(shape);
  const nested = shape.length >= 2 && data.length > 0 && Array.isArray(data[0]);
  if (nested) {
    checkNesting(name, shape, data);
  } else if (data.length !== count) {
    throw new OipError(400, `input '${name}': data has ${data.length} elements, shape [${shape.join(',')}] needs ${count}`);
  }
  const forEachRun = (visit: RunWriter): void => {
    const writeRun = (values: readonly unknown[], offset: number): void => {
      const bad = visit(values, offset);
      if (bad >= 0) {
        throw new OipError(400, `input '${name}': element ${offset + bad} ${explainInvalidElement(datatype, values[bad])}`);
      }
    };
    if (nested) forEachRow(data, shape, writeRun);
    else writeRun(data, 0);
  };

  if (datatype === 'BYTES') {
    const strings = new Array<string>(count);
    forEachRun((values, offset) => {
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (typeof v !== 'string') return i;
        strings[offset + i] = v;
      }
      return -1;
    });
    return encodeBytesElements(strings);
  }

  // Not from Node's pool: a fresh allocation starts at byteOffset 0, so every typed view is
  // aligned, and it is not zero-filled since every element gets written.
  const buffer = Buffer.allocUnsafeSlow(count * (DATATYPE_BYTE_SIZE[datatype] as number));
  forEachRun(WRITERS[datatype](buffer, count));
  return buffer;
}

/**
 * Checks that nested data has exactly the shape's structure — shape[0] arrays of shape[1] …
 * down to rows of shape[rank-1] values — before anything is allocated, so a request cannot
 * claim a huge shape and have it allocated. Costs one step per row, not per element.
 */
function checkNesting(name: string, shape: readonly number[], data: readonly unknown[]): void {
  const path: number[] = [];
  const walk = (node: unknown, depth: number): void => {
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      const where = path.length === 0 ? 'data' : `data${path.map((i) => `[${i}]`).join('')}`;
      const problem = Array.isArray(node) ? `has ${node.length} elements, expected ${shape[depth]}` : 'is not an array';
      throw new OipError(400, `input '${name}': nested data does not match shape [${shape.join(',')}]: ${where} ${problem}`);
    }
    if (depth === shape.length - 1) return;
    for (let i = 0; i < node.length; i++) {
      path.push(i);
      walk(node[i], depth + 1);
      path.pop();
    }
  };
  walk(data, 0);
}

/** Calls `visit` on each innermost row of checked nested data, in row-major order. */
function forEachRow(data: readonly unknown[], shape: readonly number[], visit: (row: readonly unknown[], offset: number) => void): void {
  const lastDepth = shape.length - 1;
  let offset = 0;
  const walk = (node: readonly unknown[], depth: number): void => {
    if (depth === lastDepth) {
      visit(node, offset);
      offset += node.length;
      return;
    }
    for (const child of node) walk(child as readonly unknown[], depth + 1);
  };
  walk(data, 0);
}
