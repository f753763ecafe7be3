import { onnx } from 'onnx-proto';
import { DATATYPE_BYTE_SIZE, elementCount, type OipDatatype, type TensorPayload } from '@falaj/contracts';

/** ONNX TensorProto.DataType → OIP datatype, for the types OIP carries. */
const OIP_OF_ONNX: Partial<Record<number, OipDatatype>> = {
  1: 'FP32',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'BYTES',
  9: 'BOOL',
  10: 'FP16',
  11: 'FP64',
  12: 'UINT32',
  13: 'UINT64',
};

export class UnsupportedTensorError extends Error {}

/**
 * An ONNX `TensorProto` (the backend test data's `input_N.pb` / `output_N.pb`) as a payload in
 * Falaj's binary layout. The data is in `raw_data` (little-endian, as the layout wants) or in the
 * typed field the ONNX spec assigns each type: small integers, BOOL and FP16 bits in
 * `int32_data`, UINT32/UINT64 in `uint64_data`, strings in `string_data`.
 */
export function readTensorProto(bytes: Uint8Array): TensorPayload {
  let tensor: onnx.TensorProto;
  try {
    tensor = onnx.TensorProto.decode(bytes);
  } catch (error) {
    throw new UnsupportedTensorError(`not a TensorProto: ${(error as Error).message}`);
  }
  const datatype = OIP_OF_ONNX[tensor.dataType];
  if (datatype === undefined) throw new UnsupportedTensorError(`ONNX data type ${tensor.dataType} has no OIP datatype`);
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) throw new UnsupportedTensorError('external data');
  const shape = tensor.dims.map((d) => Number(d.toString()));
  const count = elementCount(shape);
  const name = tensor.name;

  if (datatype === 'BYTES') {
    const parts: Buffer[] = [];
    for (const s of tensor.stringData) {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(s.length, 0);
      parts.push(length, Buffer.from(s));
    }
    if (tensor.stringData.length !== count) throw new UnsupportedTensorError(`${tensor.stringData.length} strings for shape [${shape}]`);
    return { name, datatype, shape, data: Buffer.concat(parts) };
  }
  const size = DATATYPE_BYTE_SIZE[datatype] as number;
  if (tensor.rawData && tensor.rawData.length > 0) {
    return { name, datatype, shape, data: Buffer.from(tensor.rawData) };
  }
  const data = Buffer.alloc(count * size);
  const put = (values: ArrayLike<number | { toString(): string }>, write: (value: string | number, index: number) => void) => {
    if (values.length !== count) throw new UnsupportedTensorError(`${values.length} values for shape [${shape}]`);
    for (let i = 0; i < count; i++) write(values[i] as string | number, i);
  };
  switch (datatype) {
    case 'FP32':
      put(tensor.floatData, (v, i) => data.writeFloatLE(Number(v), i * 4));
      break;
    case 'FP64':
      put(tensor.doubleData, (v, i) => data.writeDoubleLE(Number(v), i * 8));
      break;
    case 'INT64':
      put(tensor.int64Data, (v, i) => data.writeBigInt64LE(BigInt(v.toString()), i * 8));
      break;
    case 'UINT32':
      put(tensor.uint64Data, (v, i) => data.writeUInt32LE(Number(v.toString()), i * 4));
      break;
    case 'UINT64':
      // Long's toString is signed unless it knows it is unsigned: go through BigInt.asUintN.
      put(tensor.uint64Data, (v, i) => data.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v.toString())), i * 8));
      break;
    default: {
      // BOOL, INT8/16/32, UINT8/16 and FP16 (its bits) all live in int32_data.
      const writers: Record<string, (v: number, i: number) => void> = {
        BOOL: (v, i) => data.writeUInt8(v ? 1 : 0, i),
        INT8: (v, i) => data.writeInt8(v, i),
        UINT8: (v, i) => data.writeUInt8(v, i),
        INT16: (v, i) => data.writeInt16LE(v, i * 2),
        UINT16: (v, i) => data.writeUInt16LE(v, i * 2),
        FP16: (v, i) => data.writeUInt16LE(v & 0xffff, i * 2),
        INT32: (v, i) => data.writeInt32LE(v, i * 4),
      };
      put(tensor.int32Data, (v, i) => writers[datatype](Number(v), i));
    }
  }
  return { name, datatype, shape, data };
}
