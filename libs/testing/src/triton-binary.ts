import { DATATYPE_BYTE_SIZE, decodeBytesElements, elementCount, type TensorPayload } from '@falaj/contracts';

/** Triton's header naming the length of the JSON part of a binary request or response body. */
export const INFERENCE_HEADER_CONTENT_LENGTH = 'inference-header-content-length';

export interface BinaryInferRequest {
  id?: string;
  inputs: TensorPayload[];
  /** Outputs asked for; empty = all. */
  outputs?: string[];
  /** Ask for every output as binary data (`binary_data_output`), not JSON numbers. */
  binaryOutputs?: boolean;
}

/**
 * A request body in Triton's binary tensor data extension: the JSON inference header, whose
 * inputs carry `parameters.binary_data_size` and no `data`, followed by each input's bytes in
 * order (little-endian, row-major; BOOL one byte; BYTES each element after a 4-byte length).
 * The client side only: it is what a Triton client sends.
 */
export function encodeBinaryInferRequest(request: BinaryInferRequest): { body: Buffer; headers: Record<string, string> } {
  const header: Record<string, unknown> = {
    ...(request.id ? { id: request.id } : {}),
    inputs: request.inputs.map((t) => ({
      name: t.name,
      shape: t.shape,
      datatype: t.datatype,
      parameters: { binary_data_size: t.data.length },
    })),
  };
  if (request.outputs?.length) {
    header.outputs = request.outputs.map((name) => ({ name, parameters: { binary_data: request.binaryOutputs ?? false } }));
  } else if (request.binaryOutputs) {
    header.parameters = { binary_data_output: true };
  }
  const json = Buffer.from(JSON.stringify(header));
  return {
    body: Buffer.concat([json, ...request.inputs.map((t) => t.data)]),
    headers: { 'content-type': 'application/octet-stream', [INFERENCE_HEADER_CONTENT_LENGTH]: String(json.length) },
  };
}

interface BinaryResponseOutput {
  name: string;
  datatype: TensorPayload['datatype'];
  shape: number[];
  data?: unknown[];
  parameters?: { binary_data_size?: number };
}

/**
 * Reads a response of the extension: JSON outputs, the binary ones' bytes after the JSON part
 * in output order. `headerLength` is the response's Inference-Header-Content-Length, absent when
 * the whole body is JSON. JSON outputs keep their `data`; binary ones come back as payloads.
 */
export function decodeBinaryInferResponse(
  body: Buffer,
  headerLength: number | undefined,
): { header: Record<string, unknown>; outputs: (TensorPayload | BinaryResponseOutput)[] } {
  const jsonLength = headerLength ?? body.length;
  const header = JSON.parse(body.subarray(0, jsonLength).toString('utf8')) as { outputs?: BinaryResponseOutput[] };
  let offset = jsonLength;
  const outputs = (header.outputs ?? []).map((o) => {
    const size = o.parameters?.binary_data_size;
    if (size === undefined) return o;
    const data = body.subarray(offset, offset + size);
    offset += size;
    const fixed = DATATYPE_BYTE_SIZE[o.datatype];
    if (fixed !== null && data.length !== elementCount(o.shape) * fixed) {
      throw new RangeError(`output '${o.name}': ${data.length} bytes do not fit shape [${o.shape.join(',')}]`);
    }
    if (o.datatype === 'BYTES') decodeBytesElements(data, elementCount(o.shape), o.name);
    return { name: o.name, datatype: o.datatype, shape: o.shape, data } satisfies TensorPayload;
  });
  if (offset !== body.length) throw new RangeError(`${body.length - offset} bytes after the last binary output`);
  return { header: header as Record<string, unknown>, outputs };
}
