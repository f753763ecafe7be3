import type { ModelSignature, TensorPayload } from '@falaj/contracts';
import { BinarySection, parseInputParameters, parseRequestedOutputParameters } from './binary-tensor-data';
import { encodeJsonTensorData } from './json-tensor-data.encoder';
import { OipError } from './oip.error';
import { SignatureChecker, isObject } from './signature-checker';
import type { TensorLimits } from './tensor-limits';

/** An OIP v2 inference request, checked against the model and encoded for the wire. */
export interface DecodedInferRequest {
  id?: string;
  inputs: TensorPayload[];
  /** Requested output names; [] means all of the model's outputs. */
  outputs: string[];
  parameters?: Record<string, unknown>;
  /**
   * Binary tensor data extension: which outputs go back as binary. An output's own
   * `binary_data` wins; otherwise the request's `binary_data_output` (default false) applies.
   */
  binaryOutputs: { byName: Record<string, boolean>; all: boolean };
}

/**
 * Decodes the body of `POST /v2/models/{name}[/versions/{v}]/infer` and checks it against the
 * model's signature, so a worker only ever sees tensors the model accepts. `binary` is the part
 * of the body after the JSON header under Triton's binary tensor data extension: an input with
 * a `binary_data_size` parameter takes its bytes from there, in input order. Every refusal is
 * an OipError(400, or 413 past one of the `limits`) whose message names the tensor and the problem.
 */
export function decodeJsonInferRequest(body: unknown, signature: ModelSignature, binary?: Buffer, limits?: TensorLimits): DecodedInferRequest {
  if (!isObject(body)) throw bad('the request body must be a JSON object');
  const request: DecodedInferRequest = { inputs: [], outputs: [], binaryOutputs: { byName: {}, all: false } };

  if (body.id !== undefined) {
    if (typeof body.id !== 'string') throw bad("'id' must be a string");
    request.id = body.id;
  }
  if (body.parameters !== undefined) {
    if (!isObject(body.parameters)) throw bad("'parameters' must be an object");
    request.parameters = body.parameters;
    const all = body.parameters.binary_data_output;
    if (all !== undefined && typeof all !== 'boolean') throw bad("parameter 'binary_data_output' must be a boolean");
    request.binaryOutputs.all = all === true;
  }
  if (!Array.isArray(body.inputs)) throw bad("'inputs' must be an array of tensors");

  const checker = new SignatureChecker(signature, limits);
  const section = new BinarySection(binary);
  body.inputs.forEach((input: unknown, index: number) => request.inputs.push(decodeInput(input, index, checker, section)));
  checker.checkAllInputsGiven();
  section.checkFullyUsed();

  if (body.outputs !== undefined) {
    if (!Array.isArray(body.outputs)) throw bad("'outputs' must be an array");
    body.outputs.forEach((output: unknown, index: number) => {
      if (!isObject(output) || typeof output.name !== 'string' || output.name === '') {
        throw bad(`outputs[${index}] must be an object with a non-empty 'name'`);
      }
      request.outputs.push(checker.requestOutput(output.name));
      const wantsBinary = parseRequestedOutputParameters(output.name, output.parameters);
      if (wantsBinary !== undefined) request.binaryOutputs.byName[output.name] = wantsBinary;
    });
  }
  return request;
}

/** Whether an output of a decoded request goes back as binary data. */
export function wantsBinaryOutput(request: Pick<DecodedInferRequest, 'binaryOutputs'>, name: string): boolean {
  return request.binaryOutputs.byName[name] ?? request.binaryOutputs.all;
}

function decodeInput(input: unknown, index: number, checker: SignatureChecker, section: BinarySection): TensorPayload {
  if (!isObject(input)) throw bad(`inputs[${index}] must be an object`);
  const { name, datatype, shape, data } = input;
  if (typeof name !== 'string' || name === '') throw bad(`inputs[${index}]: 'name' must be a non-empty string`);
  const checked = checker.checkInput(name, datatype, shape);
  const binarySize = parseInputParameters(name, input.parameters);
  if (binarySize !== undefined) {
    if (data !== undefined) throw bad(`input '${name}': give either 'data' or a 'binary_data_size' parameter, not both`);
    return checker.tensor(name, checked, section.take(name, checked.datatype, checked.shape, binarySize));
  }
  if (data === undefined) throw bad(`input '${name}': 'data' is required`);
  if (!Array.isArray(data)) throw bad(`input '${name}': 'data' must be an array`);
  return checker.tensor(name, checked, encodeJsonTensorData(name, checked.datatype, checked.shape, data));
}

function bad(message: string): OipError {
  return new OipError(400, message);
}
