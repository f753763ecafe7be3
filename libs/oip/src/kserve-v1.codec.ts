import type { ModelSignature, TensorPayload } from '@falaj/contracts';
import type { DecodedInferRequest } from './json-infer-request.decoder';
import { decodeJsonTensorData } from './json-tensor-data.decoder';
import { encodeJsonTensorData } from './json-tensor-data.encoder';
import { OipError } from './oip.error';
import { SignatureChecker, isObject } from './signature-checker';
import type { TensorLimits } from './tensor-limits';

/**
 * KServe's v1 protocol (`POST /v1/models/{name}:predict`) on top of the v2 path. The first
 * dimension of every input and output is the batch:
 *
 * - `{"instances": [row, row, …]}`: for a one-input model each row is that input's value for one
 *   instance; for a model with several inputs each row is an object `{"<input>": value, …}`.
 * - `{"inputs": …}` (columnar): for a one-input model, the whole batch as one array; for several
 *   inputs, an object `{"<input>": batch, …}`.
 *
 * The answer is `{"predictions": [row, row, …]}`: with one output, each row is that output's
 * value for one instance; with several, each row is an object `{"<output>": value, …}`.
 * Datatypes come from the model's signature; values are checked as the v2 JSON path checks them.
 */
export function decodeKserveV1Request(body: unknown, signature: ModelSignature, limits?: TensorLimits): DecodedInferRequest {
  if (!isObject(body)) throw bad('the request body must be a JSON object');
  const hasInstances = body.instances !== undefined;
  if (hasInstances === (body.inputs !== undefined)) throw bad("give exactly one of 'instances' or 'inputs'");
  const batches = hasInstances ? fromInstances(body.instances, signature) : fromColumns(body.inputs, signature);

  const checker = new SignatureChecker(signature, limits);
  const inputs: TensorPayload[] = [];
  for (const spec of signature.inputs) {
    const batch = batches.get(spec.name);
    if (batch === undefined) throw bad(`input '${spec.name}' is required by the model but missing from the request`);
    const shape = shapeOf(batch);
    const checked = checker.checkInput(spec.name, spec.datatype, shape);
    inputs.push(checker.tensor(spec.name, checked, encodeJsonTensorData(spec.name, spec.datatype, shape, batch)));
  }
  for (const name of batches.keys()) {
    if (!signature.inputs.some((spec) => spec.name === name)) checker.checkInput(name, undefined, undefined);
  }
  return { inputs, outputs: [], binaryOutputs: { byName: {}, all: false } };
}

/** `{"predictions": …}` from the model's outputs (see decodeKserveV1Request). */
export function encodeKserveV1Response(outputs: readonly TensorPayload[]): { predictions: unknown[] } {
  const rows = outputs.map((output) => ({ name: output.name, rows: splitRows(output) }));
  if (rows.length === 1) return { predictions: rows[0].rows };
  const count = Math.max(0, ...rows.map((r) => r.rows.length));
  const predictions = Array.from({ length: count }, (_, i) => Object.fromEntries(rows.map((r) => [r.name, r.rows[i] ?? null])));
  return { predictions };
}

function fromInstances(instances: unknown, signature: ModelSignature): Map<string, unknown[]> {
  if (!Array.isArray(instances) || instances.length === 0) throw bad("'instances' must be a non-empty array");
  if (signature.inputs.length === 1 && !isObject(instances[0])) return new Map([[signature.inputs[0].name, instances]]);
  const batches = new Map<string, unknown[]>();
  instances.forEach((instance, index) => {
    if (!isObject(instance)) throw bad(`instances[${index}] must be an object keyed by input name: the model takes several inputs`);
    for (const [name, value] of Object.entries(instance)) {
      const batch = batches.get(name) ?? [];
      if (batch.length !== index) throw bad(`instances[${index}] lacks input '${name}' that earlier instances have`);
      batch.push(value);
      batches.set(name, batch);
    }
  });
  for (const [name, batch] of batches) {
    if (batch.length !== instances.length) throw bad(`input '${name}' is missing from some instances`);
  }
  return batches;
}

function fromColumns(inputs: unknown, signature: ModelSignature): Map<string, unknown[]> {
  if (Array.isArray(inputs)) {
    if (signature.inputs.length !== 1) throw bad("'inputs' must be an object keyed by input name: the model takes several inputs");
    return new Map([[signature.inputs[0].name, inputs]]);
  }
  if (!isObject(inputs)) throw bad("'inputs' must be an array or an object keyed by input name");
  return new Map(
    Object.entries(inputs).map(([name, batch]) => {
      if (!Array.isArray(batch)) throw bad(`input '${name}' must be an array (its first dimension is the batch)`);
      return [name, batch];
    }),
  );
}

/** The shape of nested JSON arrays, read down the first elements (the encoder checks the rest). */
function shapeOf(batch: readonly unknown[]): number[] {
  const shape: number[] = [];
  let node: unknown = batch;
  while (Array.isArray(node)) {
    shape.push(node.length);
    node = node[0];
  }
  return shape;
}

/** An output as rows along its first dimension, each nested to the remaining dimensions. */
function splitRows(output: TensorPayload): unknown[] {
  const flat = decodeJsonTensorData(output) as unknown[];
  if (output.shape.length === 0) return flat;
  return nest(flat, output.shape, 0, 0).value as unknown[];
}

function nest(flat: readonly unknown[], shape: readonly number[], depth: number, offset: number): { value: unknown; next: number } {
  if (depth === shape.length) return { value: flat[offset], next: offset + 1 };
  const out = new Array<unknown>(shape[depth]);
  let next = offset;
  for (let i = 0; i < shape[depth]; i++) {
    const child = nest(flat, shape, depth + 1, next);
    out[i] = child.value;
    next = child.next;
  }
  return { value: out, next };
}

function bad(message: string): OipError {
  return new OipError(400, message);
}
