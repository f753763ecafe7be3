import { type ModelSignature, type OipDatatype, type TensorPayload } from '@falaj/contracts';
import { checkRawTensorBytes } from './binary-tensor-data';
import type { DecodedInferRequest } from './json-infer-request.decoder';
import { encodeJsonTensorData } from './json-tensor-data.encoder';
import { OipError } from './oip.error';
import { SignatureChecker } from './signature-checker';
import type { TensorLimits } from './tensor-limits';

/**
 * The gRPC messages as @grpc/proto-loader hands them over with OIP_GRPC_LOADER_OPTIONS:
 * snake_case fields, 64-bit integers as decimal strings, bytes as Buffers, a oneof's choice
 * named in `parameter_choice`. Every field may be missing (proto3 defaults are not filled in).
 */
export interface GrpcInferParameter {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  bool_param?: boolean;
  int64_param?: string;
  string_param?: string;
  double_param?: number;
  uint64_param?: string;
}
export type GrpcParameters = Record<string, GrpcInferParameter>;

export interface GrpcTensorContents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: string[];
  uint_contents?: number[];
  uint64_contents?: string[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Buffer[];
}

export interface GrpcModelInferRequest {
  model_name?: string;
  model_version?: string;
  id?: string;
  parameters?: GrpcParameters;
  inputs?: Array<{ name?: string; datatype?: string; shape?: string[]; parameters?: GrpcParameters; contents?: GrpcTensorContents }>;
  outputs?: Array<{ name?: string; parameters?: GrpcParameters }>;
  raw_input_contents?: Buffer[];
}

export interface GrpcModelInferResponse {
  model_name: string;
  model_version: string;
  id: string;
  parameters: GrpcParameters;
  outputs: Array<{ name: string; datatype: string; shape: number[]; parameters: GrpcParameters }>;
  raw_output_contents: Buffer[];
}

/** Which typed-contents field carries each datatype (FP16 has none: it travels raw only). */
const CONTENTS_FIELD: Record<Exclude<OipDatatype, 'BYTES' | 'FP16'>, keyof GrpcTensorContents> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
};

/**
 * Decodes a `ModelInferRequest` into the same request REST produces, checked against the
 * signature with the same SignatureChecker. Tensor bytes come from `raw_input_contents` (one
 * entry per input, in order; then for every input, as Triton requires) or from typed `contents`.
 */
export function decodeGrpcInferRequest(message: GrpcModelInferRequest, signature: ModelSignature, limits?: TensorLimits): DecodedInferRequest {
  const checker = new SignatureChecker(signature, limits);
  const inputs = message.inputs ?? [];
  const raw = message.raw_input_contents ?? [];
  if (raw.length > 0 && raw.length !== inputs.length) {
    throw bad(`raw_input_contents has ${raw.length} entries for ${inputs.length} inputs: give it for every input or for none`);
  }
  // gRPC answers every output in raw_output_contents: the REST binary choice does not apply.
  const request: DecodedInferRequest = { inputs: [], outputs: [], binaryOutputs: { byName: {}, all: false } };
  if (message.id) request.id = message.id;
  const parameters = decodeGrpcParameters(message.parameters);
  if (parameters) request.parameters = parameters;

  inputs.forEach((input, index) => {
    const name = input.name ?? '';
    if (name === '') throw bad(`inputs[${index}]: 'name' must be a non-empty string`);
    const checked = checker.checkInput(name, input.datatype ?? '', parseShape(name, input.shape ?? []));
    const data = raw.length > 0 ? checkRawTensorBytes(name, checked.datatype, checked.shape, raw[index]) : contentsToBytes(name, checked.datatype, checked.shape, input.contents);
    request.inputs.push(checker.tensor(name, checked, data));
  });
  checker.checkAllInputsGiven();
  (message.outputs ?? []).forEach((output, index) => {
    if (!output.name) throw bad(`outputs[${index}] must have a non-empty 'name'`);
    request.outputs.push(checker.requestOutput(output.name));
  });
  return request;
}

/** A `ModelInferResponse` with every output in `raw_output_contents`, as Triton answers. */
export function encodeGrpcInferResponse(args: { modelName: string; modelVersion: string; id?: string; outputs: TensorPayload[] }): GrpcModelInferResponse {
  return {
    model_name: args.modelName,
    model_version: args.modelVersion,
    id: args.id ?? '',
    parameters: {},
    outputs: args.outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape, parameters: {} })),
    raw_output_contents: args.outputs.map((o) => o.data),
  };
}

/** The map of `InferParameter`s as plain JSON values (64-bit integers as numbers when safe). */
export function decodeGrpcParameters(parameters: GrpcParameters | undefined): Record<string, unknown> | undefined {
  const entries = Object.entries(parameters ?? {});
  if (entries.length === 0) return undefined;
  return Object.fromEntries(
    entries.map(([key, p]) => {
      const choice = p.parameter_choice;
      const value = choice ? p[choice] : undefined;
      if (typeof value === 'string' && (choice === 'int64_param' || choice === 'uint64_param')) {
        const n = Number(value);
        return [key, Number.isSafeInteger(n) ? n : value];
      }
      return [key, value ?? null];
    }),
  );
}

function parseShape(name: string, shape: readonly string[]): number[] {
  return shape.map((dim) => {
    const n = Number(dim);
    if (!Number.isSafeInteger(n) || n < 0) throw bad(`input '${name}': 'shape' must be an array of non-negative integers`);
    return n;
  });
}

function contentsToBytes(name: string, datatype: OipDatatype, shape: number[], contents: GrpcTensorContents | undefined): Buffer {
  if (datatype === 'FP16') throw bad(`input '${name}': FP16 has no typed contents field; send it in raw_input_contents`);
  if (datatype === 'BYTES') {
    const values = contents?.bytes_contents ?? [];
    const count = shape.reduce((a, b) => a * b, 1);
    if (values.length !== count) throw bad(`input '${name}': bytes_contents has ${values.length} elements, shape [${shape.join(',')}] needs ${count}`);
    return frameBytes(values);
  }
  const field = CONTENTS_FIELD[datatype];
  const values = (contents?.[field] ?? []) as unknown[];
  if (datatype === 'FP32' || datatype === 'FP64') {
    // Written as they are: unlike JSON, protobuf floats carry NaN and infinities.
    const count = shape.reduce((a, b) => a * b, 1);
    if (values.length !== count) throw bad(`input '${name}': ${field} has ${values.length} elements, shape [${shape.join(',')}] needs ${count}`);
    const typed = datatype === 'FP32' ? Float32Array.from(values as number[]) : Float64Array.from(values as number[]);
    return Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
  }
  try {
    return encodeJsonTensorData(name, datatype, shape, values);
  } catch (error) {
    // The JSON writers' wording ("data has …") names JSON; say which contents field instead.
    if (error instanceof OipError) throw bad(error.message.replace(': data has', `: ${field} has`));
    throw error;
  }
}

/** BYTES elements as given (not through a string: they need not be UTF-8), each length-prefixed. */
function frameBytes(values: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const value of values) {
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32LE(value.length, 0);
    parts.push(length, value);
  }
  return Buffer.concat(parts);
}

function bad(message: string): OipError {
  return new OipError(400, message);
}
