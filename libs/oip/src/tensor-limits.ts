import { elementCount, type OipDatatype } from '@falaj/contracts';
import { OipError } from './oip.error';

/** What one request tensor may hold, whatever protocol brought it (FALAJ_MAX_TENSOR_ELEMENTS, FALAJ_MAX_BYTES_ELEMENT_BYTES). */
export interface TensorLimits {
  /** Elements of one input tensor (the product of its shape). */
  maxElements: number;
  /** Bytes of one BYTES element (after its 4-byte length, or as a JSON string's UTF-8). */
  maxBytesElementBytes: number;
}

/**
 * 2^24 elements: 64 MiB of FP32, twice what the default request limit carries as binary, so only
 * a tensor of one-byte or empty elements (BOOL, UINT8, BYTES) meets it within the body limit.
 * A BYTES element of 1 MiB holds any text a model is fed; larger blobs are no tensor.
 */
export const DEFAULT_TENSOR_LIMITS: TensorLimits = { maxElements: 16_777_216, maxBytesElementBytes: 1_048_576 };

/**
 * Refuses a shape with more elements than the limit, before any data is read against it: a
 * request's data must then hold that many (checked after), so this also keeps a shape of
 * [65536, 65536] from sizing an array.
 */
export function checkTensorElements(name: string, shape: readonly number[], limits: TensorLimits): void {
  const count = elementCount(shape);
  if (count > limits.maxElements) {
    throw new OipError(
      413,
      `input '${name}': shape [${shape.join(',')}] has ${count} elements, over the limit of ${limits.maxElements} per tensor (FALAJ_MAX_TENSOR_ELEMENTS)`,
      'tensor_too_large',
      'tensor_elements',
    );
  }
}

/**
 * Refuses a BYTES tensor (its elements framed, each a 4-byte little-endian length then the
 * bytes, as every protocol's decoder leaves it) holding an element longer than the limit. Other
 * datatypes pass. Walks the lengths only: the framing itself was checked by the decoder.
 */
export function checkBytesElements(name: string, datatype: OipDatatype, data: Buffer, limits: TensorLimits): void {
  if (datatype !== 'BYTES') return;
  let index = 0;
  for (let offset = 0; offset + 4 <= data.length; index++) {
    const length = data.readUInt32LE(offset);
    if (length > limits.maxBytesElementBytes) {
      throw new OipError(
        413,
        `input '${name}': element ${index} is ${length} bytes, over the limit of ${limits.maxBytesElementBytes} bytes per BYTES element (FALAJ_MAX_BYTES_ELEMENT_BYTES)`,
        'tensor_too_large',
        'bytes_element',
      );
    }
    offset += 4 + length;
  }
}
