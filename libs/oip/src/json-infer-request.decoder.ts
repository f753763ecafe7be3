import type { ModelSignature, TensorPayload, TensorSpec } from '@falaj/contracts';
import { encodeJsonTensorData } from './json-tensor-data.encoder';
import { OipError } from './oip.error';

/** An OIP v2 JSON inference request, checked against the model and encoded for the wire. */
export interface DecodedInferRequest {
  id?: string;
  inputs: TensorPayload[];
  /** Requested output names; [] means all of the model's outputs. */
  outputs: string[];
  parameters?: Record<string, unknown>;
}

/**
 * Decodes the body of `POST /v2/models/{name}[/versions/{v}]/infer` (JSON, no binary extension)
 * and checks it against the model's signature, so a worker only ever sees tensors the model
 * accepts. Every refusal is an OipError(400) whose message names the tensor and the problem.
 */
export function decodeJsonInferRequest(body: unknown, signature: ModelSignature): DecodedInferRequest {
  if (!isObject(body)) throw bad('the request body must be a JSON object');
  const request: DecodedInferRequest = { inputs: [], outputs: [] };

  if (body.id !== undefined) {
    if (typeof body.id !== 'string') throw bad("'id' must be a string");
    request.id = body.id;
  }
  if (body.parameters !== undefined) {
    if (!isObject(body.parameters)) throw bad("'parameters' must be an object");
    request.parameters = body.parameters;
  }
  if (!Array.isArray(body.inputs)) throw bad("'inputs' must be an array of tensors");

  const specs = new Map(signature.inputs.map((spec) => [spec.name, spec]));
  const seen = new Set<string>();
  body.inputs.forEach((input: unknown, index: number) => {
    const payload = decodeInput(input, index, specs, seen);
    seen.add(payload.name);
    request.inputs.push(payload);
  });
  for (const spec of signature.inputs) {
    if (!seen.has(spec.name)) throw bad(`input '${spec.name}' is required by the model but missing from the request`);
  }

  if (body.outputs !== undefined) request.outputs = decodeRequestedOutputs(body.outputs, signature);
  return request;
}

function decodeInput(input: unknown, index: number, specs: ReadonlyMap<string, TensorSpec>, seen: ReadonlySet<string>): TensorPayload {
  if (!isObject(input)) throw bad(`inputs[${index}] must be an object`);
  const { name, datatype, shape, data } = input;
  if (typeof name !== 'string' || name === '') throw bad(`inputs[${index}]: 'name' must be a non-empty string`);
  if (seen.has(name)) throw bad(`input '${name}' appears more than once`);
  const spec = specs.get(name);
  if (spec === undefined) {
    throw bad(`input '${name}' is not an input of the model; it takes ${[...specs.keys()].map((n) => `'${n}'`).join(', ')}`);
  }
  if (typeof datatype !== 'string') throw bad(`input '${name}': 'datatype' must be a string`);
  if (datatype !== spec.datatype) throw bad(`input '${name}': expected datatype ${spec.datatype}, got ${datatype}`);
  if (!isShape(shape)) throw bad(`input '${name}': 'shape' must be an array of non-negative integers`);
  if (!fitsSpec(shape, spec.shape)) {
    throw bad(`input '${name}': shape [${shape.join(',')}] does not match the model's [${spec.shape.join(',')}]`);
  }
  if (data === undefined) throw bad(`input '${name}': 'data' is required`);
  if (!Array.isArray(data)) throw bad(`input '${name}': 'data' must be an array`);
  return { name, datatype: spec.datatype, shape: [...shape], data: encodeJsonTensorData(name, spec.datatype, shape, data) };
}

function decodeRequestedOutputs(outputs: unknown, signature: ModelSignature): string[] {
  if (!Array.isArray(outputs)) throw bad("'outputs' must be an array");
  const known = new Set(signature.outputs.map((spec) => spec.name));
  const names: string[] = [];
  outputs.forEach((output: unknown, index: number) => {
    if (!isObject(output) || typeof output.name !== 'string' || output.name === '') {
      throw bad(`outputs[${index}] must be an object with a non-empty 'name'`);
    }
    const { name } = output;
    if (!known.has(name)) {
      throw bad(`requested output '${name}' is not an output of the model; it has ${[...known].map((n) => `'${n}'`).join(', ')}`);
    }
    if (names.includes(name)) throw bad(`requested output '${name}' appears more than once`);
    names.push(name);
  });
  return names;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((dim) => Number.isSafeInteger(dim) && (dim as number) >= 0);
}

/** Same rank, and every fixed (non -1) dimension of the model equal. */
function fitsSpec(shape: readonly number[], specShape: readonly number[]): boolean {
  return shape.length === specShape.length && shape.every((dim, i) => specShape[i] === -1 || specShape[i] === dim);
}

function bad(message: string): OipError {
  return new OipError(400, message);
}
