import type { TensorPayload } from '@falaj/contracts';

export interface OutputAgreement {
  /** Every output byte-identical. */
  exact: boolean;
  /** The index of the largest element agrees in every numeric output (the predicted class). */
  argmax: boolean;
  /** Largest absolute difference over all numeric elements (0 when exact; Infinity when shapes differ). */
  maxAbsDiff: number;
}

const VIEWS: Partial<Record<string, (b: Buffer) => ArrayLike<number | bigint>>> = {
  FP32: (b) => new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4),
  FP64: (b) => new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8),
  INT8: (b) => new Int8Array(b.buffer, b.byteOffset, b.byteLength),
  UINT8: (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
  INT16: (b) => new Int16Array(b.buffer, b.byteOffset, b.byteLength / 2),
  INT32: (b) => new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4),
  INT64: (b) => new BigInt64Array(b.buffer, b.byteOffset, b.byteLength / 8),
};

/** The elements of a numeric tensor as numbers, or null for BYTES, BOOL, FP16… (compared exactly only). */
function numbers(t: TensorPayload): number[] | null {
  const view = VIEWS[t.datatype];
  if (!view) return null;
  const element = t.datatype === 'FP64' || t.datatype === 'INT64' ? 8 : t.datatype === 'FP32' || t.datatype === 'INT32' ? 4 : t.datatype === 'INT16' ? 2 : 1;
  // A copy when unaligned: typed-array views need their offset aligned to the element size.
  const data = t.data.byteOffset % element === 0 ? t.data : Buffer.from(t.data);
  return Array.from(view(data), Number);
}

function argmax(values: number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** How far a shadow's outputs are from the primary's, output by output (matched by name). */
export function compareOutputs(primary: readonly TensorPayload[], shadow: readonly TensorPayload[]): OutputAgreement {
  let exact = primary.length === shadow.length;
  let agrees = exact;
  let maxAbsDiff = exact ? 0 : Infinity;
  for (const p of primary) {
    const s = shadow.find((o) => o.name === p.name);
    if (!s || s.datatype !== p.datatype || s.shape.join() !== p.shape.join()) return { exact: false, argmax: false, maxAbsDiff: Infinity };
    if (!p.data.equals(s.data)) exact = false;
    const a = numbers(p);
    const b = numbers(s);
    if (!a || !b) {
      if (!p.data.equals(s.data)) agrees = false;
      continue;
    }
    for (let i = 0; i < a.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i] - b[i]));
    if (a.length > 0 && argmax(a) !== argmax(b)) agrees = false;
  }
  return { exact, argmax: agrees, maxAbsDiff };
}
