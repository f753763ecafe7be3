import type { OipDatatype } from '@falaj/contracts';
import type { Tensor } from 'onnxruntime-node';

/** ORT's element type for each OIP datatype; BYTES travels as ORT `string` (UTF-8). */
export const OIP_TO_ORT_TYPE = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
} as const satisfies Record<OipDatatype, Tensor.Type>;

export type OrtTypeOfOip = (typeof OIP_TO_ORT_TYPE)[OipDatatype];

const ORT_TO_OIP_TYPE: ReadonlyMap<string, OipDatatype> = new Map(Object.entries(OIP_TO_ORT_TYPE).map(([oip, ort]) => [ort, oip as OipDatatype]));

/** The OIP datatype of an ORT element type, or undefined for types OIP cannot carry (int4, uint4). */
export function oipDatatypeOf(ortType: string): OipDatatype | undefined {
  return ORT_TO_OIP_TYPE.get(ortType);
}
