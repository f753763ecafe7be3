import { DATATYPE_BYTE_SIZE, decodeBytesElements, elementCount, type OipDatatype } from '@falaj/contracts';
import { OipError } from './oip.error';
import { isObject } from './signature-checker';

/**
 * Triton's binary tensor data extension
 * (triton-inference-server/server docs/protocol/extension_binary_data.md): the JSON header is
 * followed by tensor bytes, little-endian and row-major, BOOL one byte, BYTES elements each a
 * 4-byte little-endian length then the bytes. `Inference-Header-Content-Length` gives the
 * header's length; an input's `binary_data_size` parameter, its byte count.
 */
export const INFERENCE_HEADER_CONTENT_LENGTH = 'inference-header-content-length';

/** A request body split at `Inference-Header-Content-Length`: the parsed JSON header and what follows. */
export interface SplitInferBody {
  header: unknown;
  binary?: Buffer;
}

/**
 * Splits and parses an inference request body. Without the header, the whole body is JSON.
 * Refuses a malformed header length or header JSON with OipError(400).
 */
export function splitInferBody(body: Buffer, headerLength: string | string[] | undefined): SplitInferBody {
  if (headerLength === undefined) return { header: parseJson(body, 'the request body') };
  // Repeated headers arrive joined (Node joins them with ", ") or as an array: either is refused.
  const raw = Array.isArray(headerLength) ? headerLength.join(', ') : headerLength;
  const length = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(length) || length > body.length) {
    throw bad(`Inference-Header-Content-Length must be an integer from 0 to the body's ${body.length} bytes, got '${raw.slice(0, 32)}'`);
  }
  return { header: parseJson(body.subarray(0, length), 'the inference header'), binary: body.subarray(length) };
}

/** The `binary_data_size` of a request input's parameters, or undefined when it has none. */
export function parseInputParameters(name: string, parameters: unknown): number | undefined {
  if (parameters === undefined) return undefined;
  if (!isObject(parameters)) throw bad(`input '${name}': 'parameters' must be an object`);
  const size = parameters.binary_data_size;
  if (size === undefined) return undefined;
  if (!Number.isSafeInteger(size) || (size as number) < 0) {
    throw bad(`input '${name}': 'binary_data_size' must be a non-negative integer`);
  }
  return size as number;
}

/** The `binary_data` choice of one requested output, or undefined when it does not say. */
export function parseRequestedOutputParameters(name: string, parameters: unknown): boolean | undefined {
  if (parameters === undefined) return undefined;
  if (!isObject(parameters)) throw bad(`requested output '${name}': 'parameters' must be an object`);
  const binary = parameters.binary_data;
  if (binary === undefined) return undefined;
  if (typeof binary !== 'boolean') throw bad(`requested output '${name}': 'binary_data' must be a boolean`);
  return binary;
}

/**
 * Checks that raw bytes hold exactly the elements a shape needs: count × size for fixed-size
 * datatypes, well-framed elements for BYTES. Shared by the binary extension and gRPC's
 * `raw_input_contents`.
 */
export function checkRawTensorBytes(name: string, datatype: OipDatatype, shape: readonly number[], bytes: Buffer): Buffer {
  const count = elementCount(shape);
  const size = DATATYPE_BYTE_SIZE[datatype];
  if (size === null) {
    // Each element takes at least its 4-byte length: a larger count is refused before an array
    // of that many elements is made (2^32 and beyond would be a RangeError).
    if (count > bytes.length / 4) {
      throw bad(`input '${name}': ${bytes.length} bytes of BYTES data cannot hold the ${count} elements of shape [${shape.join(',')}] (4 bytes each at least)`);
    }
    try {
      decodeBytesElements(bytes, count, name);
    } catch (error) {
      throw bad(`input '${name}': ${(error as Error).message.replace(/^tensor '[^']*': /, '')}`);
    }
  } else if (bytes.length !== count * size) {
    throw bad(`input '${name}': ${bytes.length} bytes of ${datatype} data, shape [${shape.join(',')}] needs ${count * size}`);
  }
  return bytes;
}

/** The binary part of a request body, handed out to inputs in order. */
export class BinarySection {
  private offset = 0;

  constructor(private readonly data: Buffer | undefined) {}

  take(name: string, datatype: OipDatatype, shape: readonly number[], size: number): Buffer {
    if (this.data === undefined) {
      throw bad(`input '${name}' has 'binary_data_size' but the request has no Inference-Header-Content-Length header`);
    }
    if (this.offset + size > this.data.length) {
      throw bad(`input '${name}': binary_data_size ${size} runs past the ${this.data.length - this.offset} bytes left in the body`);
    }
    const bytes = this.data.subarray(this.offset, this.offset + size);
    this.offset += size;
    return checkRawTensorBytes(name, datatype, shape, bytes);
  }

  checkFullyUsed(): void {
    if (this.data !== undefined && this.offset !== this.data.length) {
      throw bad(`the body has ${this.data.length - this.offset} bytes of binary data that no input's binary_data_size claims`);
    }
  }
}

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw bad(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

function bad(message: string): OipError {
  return new OipError(400, message);
}
