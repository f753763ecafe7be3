import { z } from 'zod';

/** Every tensor datatype of the Open Inference Protocol v2 that ONNX models use. */
export const OIP_DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'] as const;

export const OipDatatypeSchema = z.enum(OIP_DATATYPES);
export type OipDatatype = z.infer<typeof OipDatatypeSchema>;

/** Bytes per element on the wire (little-endian, Triton's binary layout); BYTES is variable. */
export const DATATYPE_BYTE_SIZE: Record<OipDatatype, number | null> = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  FP32: 4,
  FP64: 8,
  BYTES: null,
};

export function isOipDatatype(value: unknown): value is OipDatatype {
  return typeof value === 'string' && (OIP_DATATYPES as readonly string[]).includes(value);
}
