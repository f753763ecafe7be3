import type { OipDatatype, TensorPayload } from '@falaj/contracts';
import { decodeJsonTensorData, type JsonTensorData } from './json-tensor-data.decoder';

export interface JsonInferResponseArgs {
  modelName: string;
  modelVersion: string;
  id?: string;
  outputs: TensorPayload[];
  parameters?: Record<string, unknown>;
}

export interface JsonOutputTensor {
  name: string;
  datatype: OipDatatype;
  shape: number[];
  /** Flat, row-major. */
  data: JsonTensorData;
}

/** The OIP v2 inference response JSON object; `id` echoes the request's, when it had one. */
export interface JsonInferResponse {
  model_name: string;
  model_version: string;
  id?: string;
  parameters?: Record<string, unknown>;
  outputs: JsonOutputTensor[];
}

/** Builds the body of a successful JSON inference response (see decodeJsonTensorData for each datatype's JSON form). */
export function encodeJsonInferResponse(args: JsonInferResponseArgs): JsonInferResponse {
  return {
    model_name: args.modelName,
    model_version: args.modelVersion,
    ...(args.id !== undefined ? { id: args.id } : {}),
    ...(args.parameters !== undefined ? { parameters: args.parameters } : {}),
    outputs: args.outputs.map((output) => ({
      name: output.name,
      datatype: output.datatype,
      shape: [...output.shape],
      data: decodeJsonTensorData(output),
    })),
  };
}
