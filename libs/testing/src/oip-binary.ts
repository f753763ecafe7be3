import type { TensorPayload } from '@falaj/contracts';
import { INFERENCE_HEADER_CONTENT_LENGTH, encodeJsonTensorData } from '@falaj/oip';

/** What a client asks for, in Triton's binary tensor data extension. */
export interface BinaryInferRequestArgs {
  id?: string;
  /** Every input goes as binary data, in this order. */
  inputs: TensorPayload[];
  /** Outputs to return (all when absent); `binary` is each one's `binary_data` parameter. */
  outputs?: Array<{ name: string; binary?: boolean }>;
  /** The request-level `binary_data_output` parameter. */
  binaryDataOutput?: boolean;
  parameters?: Record<string, unknown>;
}

/**
 * A REST inference request body as `tritonclient.http` builds it: the JSON header, then each
 * input's bytes; `Inference-Header-Content-Length` gives the header's length.
 */
export function encodeBinaryInferRequest(args: BinaryInferRequestArgs): { body: Buffer; headers: Record<string, string> } {
  const parameters = { ...args.parameters, ...(args.binaryDataOutput !== undefined ? { binary_data_output: args.binaryDataOutput } : {}) };
  const header = {
    ...(args.id !== undefined ? { id: args.id } : {}),
    ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
    inputs: args.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: t.data.length } })),
    ...(args.outputs ? { outputs: args.outputs.map((o) => ({ name: o.name, ...(o.binary !== undefined ? { parameters: { binary_data: o.binary } } : {}) })) } : {}),
  };
  const json = Buffer.from(JSON.stringify(header));
  return {
    body: Buffer.concat([json, ...args.inputs.map((t) => t.data)]),
    headers: { 'content-type': 'application/octet-stream', [INFERENCE_HEADER_CONTENT_LENGTH]: String(json.length) },
  };
}

export interface DecodedInferResponse {
  /** The JSON header as the server sent it. */
  header: { model_name: string; model_version: string; id?: string; outputs: Array<Record<string, unknown>> };
  /** Every output as bytes in the binary layout, whether it came as binary or as JSON data. */
  outputs: TensorPayload[];
  /** Names of the outputs that came as binary data. */
  binary: string[];
}

/**
 * Splits a REST inference response at `Inference-Header-Content-Length` (when present) and
 * gives every output as bytes: binary outputs sliced from the body in order, JSON outputs
 * encoded (JSON cannot carry NaN or infinities: such outputs come back as null elements).
 */
export function decodeBinaryInferResponse(body: Buffer, headerLength: string | null | undefined): DecodedInferResponse {
  const length = headerLength === null || headerLength === undefined ? body.length : Number(headerLength);
  const header = JSON.parse(body.subarray(0, length).toString('utf8')) as DecodedInferResponse['header'];
  let offset = length;
  const binary: string[] = [];
  const outputs = header.outputs.map((output): TensorPayload => {
    const { name, datatype, shape } = output as unknown as Omit<TensorPayload, 'data'>;
    const size = (output.parameters as { binary_data_size?: number } | undefined)?.binary_data_size;
    if (size === undefined) {
      return { name, datatype, shape, data: encodeJsonTensorData(name, datatype, shape, output.data as unknown[]) };
    }
    binary.push(name);
    const data = body.subarray(offset, offset + size);
    offset += size;
    return { name, datatype, shape, data };
  });
  if (offset !== body.length) throw new Error(`response has ${body.length - offset} bytes that no output claims`);
  return { header, outputs, binary };
}
