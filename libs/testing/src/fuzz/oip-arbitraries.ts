import fc from 'fast-check';
import { DATATYPE_BYTE_SIZE, OIP_DATATYPES, decodeBytesElements, elementCount, type ModelSignature, type OipDatatype, type TensorPayload, type TensorSpec } from '@falaj/contracts';
import { OipError, encodeJsonTensorData } from '@falaj/oip';

/**
 * fast-check arbitraries for the OIP decoders' property tests and the gateway fuzz run: model
 * signatures, valid requests for a signature (JSON, nested, binary), and structure-aware
 * mutations of them, with the values decoders get wrong (huge and fractional dimensions, 2^53,
 * 1e308, -0, decimal strings past 2^64, `__proto__`, lone surrogates, deep nesting).
 */

/** tiny-mlp.onnx: `input` FP32 [-1,4] → `probabilities` FP32 [-1,3]. */
export const TINY_MLP_SIGNATURE: ModelSignature = {
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
};

const datatypeArb: fc.Arbitrary<OipDatatype> = fc.constantFrom(...OIP_DATATYPES);

/** A signature of 1–3 inputs and 1–2 outputs, every datatype, ranks 0–3, dims -1 or 1–3. */
export const signatureArb: fc.Arbitrary<ModelSignature> = fc
  .record({
    inputs: fc.uniqueArray(fc.record({ name: fc.constantFrom('x', 'y', 'input', 'mask', 'text'), datatype: datatypeArb, shape: fc.array(fc.constantFrom(-1, 1, 2, 3), { maxLength: 3 }) }), {
      minLength: 1,
      maxLength: 3,
      selector: (spec) => spec.name,
    }),
    outputs: fc.uniqueArray(fc.record({ name: fc.constantFrom('out', 'probabilities', 'z'), datatype: datatypeArb, shape: fc.array(fc.constantFrom(-1, 1, 2), { maxLength: 2 }) }), {
      minLength: 1,
      maxLength: 2,
      selector: (spec) => spec.name,
    }),
  })
  .map((s): ModelSignature => s);

/** One valid JSON element of a datatype (INT64/UINT64 also as decimal strings past 2^53). */
export function elementArb(datatype: OipDatatype): fc.Arbitrary<unknown> {
  switch (datatype) {
    case 'BOOL':
      return fc.boolean();
    case 'UINT8':
      return fc.integer({ min: 0, max: 255 });
    case 'UINT16':
      return fc.integer({ min: 0, max: 65535 });
    case 'UINT32':
      return fc.integer({ min: 0, max: 4294967295 });
    case 'INT8':
      return fc.integer({ min: -128, max: 127 });
    case 'INT16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'INT32':
      return fc.integer({ min: -2147483648, max: 2147483647 });
    case 'INT64':
      return fc.oneof(fc.maxSafeInteger(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String));
    case 'UINT64':
      return fc.oneof(fc.maxSafeNat(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String));
    case 'FP16':
      return fc.double({ min: -65504, max: 65504, noNaN: true });
    case 'FP32':
      return fc.float({ noNaN: true, noDefaultInfinity: true });
    case 'FP64':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'BYTES':
      return fc.string({ maxLength: 6 });
  }
}

/** A tensor the spec accepts: a concrete shape (each -1 becomes 0–3) and that many values. */
export interface ValidTensor {
  name: string;
  datatype: OipDatatype;
  shape: number[];
  values: unknown[];
}

export function validTensorArb(spec: TensorSpec): fc.Arbitrary<ValidTensor> {
  return fc
    .tuple(...spec.shape.map((dim) => (dim === -1 ? fc.integer({ min: 0, max: 3 }) : fc.constant(dim))))
    .chain((shape) =>
      fc.array(elementArb(spec.datatype), { minLength: elementCount(shape), maxLength: elementCount(shape) }).map((values) => ({ name: spec.name, datatype: spec.datatype, shape, values })),
    );
}

/** A valid request, as JSON and as the binary section under Triton's extension. */
export interface ValidRequest {
  body: Record<string, unknown>;
  binary?: Buffer;
  tensors: ValidTensor[];
}

/** Nested row-major arrays of `values` to the shape's depth. */
export function nest(values: readonly unknown[], shape: readonly number[]): unknown[] {
  if (shape.length <= 1) return [...values];
  const rowSize = elementCount(shape.slice(1));
  return Array.from({ length: shape[0] }, (_, i) => nest(values.slice(i * rowSize, (i + 1) * rowSize), shape.slice(1)));
}

/** The tensor's bytes in Triton's binary layout. */
export function tensorBytes(tensor: ValidTensor): Buffer {
  return encodeJsonTensorData(tensor.name, tensor.datatype, tensor.shape, tensor.values);
}

/** A valid OIP v2 infer request for the signature: inputs in any order, flat, nested or binary. */
export function validRequestArb(signature: ModelSignature): fc.Arbitrary<ValidRequest> {
  return fc
    .record({
      tensors: fc.tuple(...signature.inputs.map(validTensorArb)),
      order: fc.shuffledSubarray(
        signature.inputs.map((_, i) => i),
        { minLength: signature.inputs.length },
      ),
      forms: fc.array(fc.constantFrom('flat', 'nested', 'binary'), { minLength: signature.inputs.length, maxLength: signature.inputs.length }),
      id: fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
      outputs: fc.option(fc.subarray(signature.outputs.map((o) => o.name)), { nil: undefined }),
      outputBinary: fc.option(fc.boolean(), { nil: undefined }),
      binaryAll: fc.option(fc.boolean(), { nil: undefined }),
    })
    .map(({ tensors, order, forms, id, outputs, outputBinary, binaryAll }) => {
      const parts: Buffer[] = [];
      const inputs = order.map((i) => {
        const t = tensors[i];
        const base = { name: t.name, datatype: t.datatype, shape: t.shape };
        if (forms[i] === 'binary') {
          const bytes = tensorBytes(t);
          parts.push(bytes);
          return { ...base, parameters: { binary_data_size: bytes.length } };
        }
        return { ...base, data: forms[i] === 'nested' ? nest(t.values, t.shape) : t.values };
      });
      const body: Record<string, unknown> = { inputs };
      if (id !== undefined) body.id = id;
      if (binaryAll !== undefined) body.parameters = { binary_data_output: binaryAll };
      if (outputs !== undefined) {
        body.outputs = outputs.map((name) => (outputBinary === undefined ? { name } : { name, parameters: { binary_data: outputBinary } }));
      }
      return { body, binary: parts.length > 0 ? Buffer.concat(parts) : undefined, tensors };
    });
}

/** `{"__proto__": …}` as JSON.parse makes it: an own key, not a prototype. */
const protoKeyed = (value: unknown): unknown => JSON.parse(`{"__proto__":${JSON.stringify(value)}}`);

/** Values that decoders mishandle. */
export const nastyValueArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -0,
      -1,
      1,
      0.5,
      -0.5,
      1e308,
      -1e308,
      5e-324,
      2 ** 31,
      2 ** 32,
      2 ** 53,
      2 ** 53 + 2,
      2 ** 64,
      1e21,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
      65504,
      65520,
      3.5e38,
      4294967296,
      '',
      '-1',
      '1e3',
      '0x10',
      ' 4',
      '18446744073709551616',
      '9223372036854775808',
      '-9223372036854775809',
      '\ud800',
      'é',
      '../..',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'input',
      'probabilities',
      'x',
      'FP32',
      'BYTES',
      'INT64',
      'fp32',
      [],
      {},
      [[]],
      [null],
      [[[]]],
      [-1],
      [0],
      [1, 4],
      [0, 4],
      [2 ** 53, 4],
      [1e9, 4],
      [2 ** 31, 2 ** 31],
      [4294967296, 4],
    ),
  },
  { weight: 1, arbitrary: fc.constant(null).map(() => protoKeyed({ binary_data_size: 1 })) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.integer({ min: -2, max: 8 }), fc.constantFrom(1e9, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 0.5, -0)), { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 500 }).map((depth) => nestDeep(depth)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 5000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 21, max: 5000 }).map((n) => '9'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3000 }).map((n) => new Array<number>(n).fill(1)) },
);

function nestDeep(depth: number): unknown {
  let value: unknown = [1];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** Keys worth adding to an object of a request. */
const keyArb = fc.constantFrom(
  'inputs',
  'outputs',
  'id',
  'parameters',
  'name',
  'datatype',
  'shape',
  'data',
  'binary_data_size',
  'binary_data',
  'binary_data_output',
  'instances',
  'model_name',
  'model_version',
  '__proto__',
  'constructor',
  '',
  'x',
);

type Mutation = { at: number; op: 'replace' | 'delete' | 'insert' | 'duplicate' | 'wrap'; key: string; value: unknown };
const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('replace', 'replace', 'replace', 'delete', 'insert', 'duplicate', 'wrap'),
  key: keyArb,
  value: nastyValueArb,
});

/**
 * 1–3 mutations of a JSON value at places chosen among all its nodes: replace a node with a nasty
 * value, delete it, insert a key, duplicate an array element, wrap a node in an array. The
 * result is what JSON.parse would hand a decoder (own `__proto__` keys, no undefined).
 */
export function mutateJsonArb(value: unknown): fc.Arbitrary<unknown> {
  return fc.array(mutationArb, { minLength: 1, maxLength: 3 }).map((mutations) => {
    let root = JSON.parse(JSON.stringify(value)) as unknown;
    // Cloned: constantFrom hands out one shared instance, which a later mutation would edit.
    for (const m of mutations) root = applyMutation(root, { ...m, value: structuredClone(m.value) });
    return JSON.parse(JSON.stringify(root ?? null)) as unknown;
  });
}

function applyMutation(root: unknown, m: Mutation): unknown {
  const nodes: Array<{ parent: Record<string, unknown> | unknown[] | null; key: string | number; node: unknown }> = [];
  const walk = (node: unknown, parent: Record<string, unknown> | unknown[] | null, key: string | number, depth: number) => {
    nodes.push({ parent, key, node });
    if (depth > 64 || nodes.length > 2000 || node === null || typeof node !== 'object') return;
    for (const [k, child] of Object.entries(node)) walk(child, node as Record<string, unknown>, Array.isArray(node) ? Number(k) : k, depth + 1);
  };
  walk(root, null, '', 0);
  const target = nodes[m.at % nodes.length];
  const set = (value: unknown) => {
    if (target.parent === null) root = value;
    else if (Array.isArray(target.parent)) target.parent[target.key as number] = value;
    else Object.defineProperty(target.parent, target.key, { value, enumerable: true, configurable: true, writable: true });
  };
  switch (m.op) {
    case 'replace':
      set(m.value);
      break;
    case 'wrap':
      set([target.node]);
      break;
    case 'delete':
      if (target.parent === null) root = undefined;
      else if (Array.isArray(target.parent)) target.parent.splice(target.key as number, 1);
      else delete target.parent[target.key as string];
      break;
    case 'insert':
      if (target.node !== null && typeof target.node === 'object' && !Array.isArray(target.node)) {
        Object.defineProperty(target.node, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
      } else if (Array.isArray(target.node)) target.node.push(m.value);
      else set(m.value);
      break;
    case 'duplicate':
      if (Array.isArray(target.parent)) target.parent.splice(target.key as number, 0, structuredClone(target.node));
      else if (Array.isArray(target.node) && target.node.length > 0) target.node.push(structuredClone(target.node[0]));
      break;
  }
  return root;
}

/** Byte-level mutations of a buffer: flips, truncation, insertion, splices of nasty bytes. */
export function mutateBytesArb(bytes: Buffer): fc.Arbitrary<Buffer> {
  const edit = fc.record({
    op: fc.constantFrom('flip', 'truncate', 'insert', 'delete', 'set'),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 16 }),
    bytes: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 8 }),
      fc.constantFrom(
        Uint8Array.of(0),
        Uint8Array.of(0xff, 0xff, 0xff, 0x7f),
        Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f),
        Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
        Buffer.from('"'),
        Buffer.from('}'),
      ),
    ),
  });
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let out = Buffer.from(bytes);
    for (const e of edits) {
      const at = out.length === 0 ? 0 : e.at % (out.length + 1);
      const insert = Buffer.from(e.bytes);
      switch (e.op) {
        case 'flip':
          if (out.length > 0) out[at % out.length] ^= 1 << (e.length % 8);
          break;
        case 'truncate':
          out = out.subarray(0, at);
          break;
        case 'insert':
          out = Buffer.concat([out.subarray(0, at), insert, out.subarray(at)]);
          break;
        case 'delete':
          out = Buffer.concat([out.subarray(0, at), out.subarray(at + e.length)]);
          break;
        case 'set':
          out = Buffer.concat([out.subarray(0, at), insert, out.subarray(at + insert.length)]);
          break;
      }
    }
    return out;
  });
}

/**
 * Runs a decoder on hostile input: returns what it decoded, or the OipError it refused with.
 * Anything else — a TypeError, a RangeError, an OipError with a 5xx or an empty message — is
 * rethrown, failing the property.
 */
export function decodeOrRefuse<T>(decode: () => T): { ok: true; value: T } | { ok: false; error: OipError } {
  try {
    return { ok: true, value: decode() };
  } catch (error) {
    if (error instanceof OipError && error.status >= 400 && error.status < 500 && error.message.length > 0) return { ok: false, error };
    throw error;
  }
}

/**
 * What "the signature accepts" means for a decoded request: every input named by the model,
 * once, with its datatype, a shape that fits, and bytes that hold exactly that shape; every
 * model input present; requested outputs the model's, once each. Throws naming the breach.
 */
export function assertSignatureAccepts(signature: ModelSignature, request: { inputs: TensorPayload[]; outputs: string[] }): void {
  const seen = new Set<string>();
  for (const input of request.inputs) {
    const spec = signature.inputs.find((s) => s.name === input.name);
    if (!spec) throw new Error(`decoded an input '${input.name}' the model does not have`);
    if (seen.has(input.name)) throw new Error(`decoded input '${input.name}' twice`);
    seen.add(input.name);
    if (input.datatype !== spec.datatype) throw new Error(`input '${input.name}': decoded ${input.datatype}, the model takes ${spec.datatype}`);
    if (input.shape.length !== spec.shape.length || input.shape.some((d, i) => !Number.isSafeInteger(d) || d < 0 || (spec.shape[i] !== -1 && spec.shape[i] !== d))) {
      throw new Error(`input '${input.name}': decoded shape [${input.shape}] does not fit [${spec.shape}]`);
    }
    if (!Buffer.isBuffer(input.data)) throw new Error(`input '${input.name}': data is not a Buffer`);
    const count = elementCount(input.shape);
    const size = DATATYPE_BYTE_SIZE[input.datatype];
    if (size === null) decodeBytesElements(input.data, count, input.name);
    else if (input.data.length !== count * size) throw new Error(`input '${input.name}': ${input.data.length} bytes for ${count} × ${size}`);
  }
  for (const spec of signature.inputs) if (!seen.has(spec.name)) throw new Error(`input '${spec.name}' missing from the decoded request`);
  const outputs = new Set(request.outputs);
  if (outputs.size !== request.outputs.length) throw new Error('a requested output twice');
  for (const name of outputs) if (!signature.outputs.some((o) => o.name === name)) throw new Error(`decoded output '${name}' the model does not have`);
}

/** numRuns for a property: `base` in `npm test`, times FALAJ_PROPERTY_SCALE for a deeper local hunt. */
export function propertyRuns(base: number): number {
  const scale = Number(process.env.FALAJ_PROPERTY_SCALE ?? 1);
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}
