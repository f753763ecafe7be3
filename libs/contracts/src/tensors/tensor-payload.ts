import type { OipDatatype } from './datatype';

/**
 * A tensor as it crosses Falaj's internal wires (gateway → worker → gateway): its bytes in
 * Triton's binary layout — little-endian, row-major; BOOL one byte per element; BYTES as a
 * 4-byte little-endian length before each element. Every protocol codec (OIP JSON, binary,
 * gRPC) converts to and from this one shape, so the hot path never re-encodes twice.
 */
export interface TensorPayload {
  name: string;
  datatype: OipDatatype;
  shape: number[];
  data: Buffer;
}

/** Number of elements a shape holds (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}
