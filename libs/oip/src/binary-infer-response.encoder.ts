import type { TensorPayload } from '@falaj/contracts';
import { decodeJsonTensorData } from './json-tensor-data.decoder';
import type { JsonInferResponse, JsonInferResponseArgs, JsonOutputTensor } from './json-infer-response.encoder';

/** One output in a response under the binary extension: JSON data, or bytes after the header. */
export interface BinaryOutputTensor extends Omit<JsonOutputTensor, 'data'> {
  data?: JsonOutputTensor['data'];
  parameters?: { binary_data_size: number };
}

export interface HttpInferResponse {
  /** The JSON header (the whole body when no output is binary). */
  header: Omit<JsonInferResponse, 'outputs'> & { outputs: BinaryOutputTensor[] };
  /** The body: the header's JSON then each binary output's bytes, in output order. */
  body: Buffer;
  /** The header's byte length, for `Inference-Header-Content-Length`; undefined when no output is binary. */
  headerLength?: number;
}

/**
 * Builds an inference response under Triton's binary tensor data extension: each output for
 * which `binary(name)` holds goes after the JSON header as raw bytes (the worker's bytes as
 * they are: the internal layout is the extension's), with `binary_data_size` in its parameters.
 */
export function encodeHttpInferResponse(args: JsonInferResponseArgs, binary: (name: string) => boolean): HttpInferResponse {
  const parts: Buffer[] = [];
  const outputs = args.outputs.map((output: TensorPayload): BinaryOutputTensor => {
    const base = { name: output.name, datatype: output.datatype, shape: [...output.shape] };
    if (!binary(output.name)) return { ...base, data: decodeJsonTensorData(output) };
    parts.push(output.data);
    return { ...base, parameters: { binary_data_size: output.data.length } };
  });
  const header = {
    model_name: args.modelName,
    model_version: args.modelVersion,
    ...(args.id !== undefined ? { id: args.id } : {}),
    ...(args.parameters !== undefined ? { parameters: args.parameters } : {}),
    outputs,
  };
  const json = Buffer.from(JSON.stringify(header));
  if (parts.length === 0) return { header, body: json };
  return { header, body: Buffer.concat([json, ...parts]), headerLength: json.length };
}
