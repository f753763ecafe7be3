import { Tensor } from 'onnxruntime-node';
import { DATATYPE_BYTE_SIZE, decodeBytesElements, elementCount, encodeBytesElements, type TensorPayload } from '@falaj/contracts';
import { OIP_TO_ORT_TYPE, oipDatatypeOf } from './ort-datatype';

type TypedArrayConstructor =
  | Uint8ArrayConstructor
  | Int8ArrayConstructor
  | Uint16ArrayConstructor
  | Int16ArrayConstructor
  | Uint32ArrayConstructor
  | Int32ArrayConstructor
  | BigUint64ArrayConstructor
  | BigInt64ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

/**
 * The typed array ORT node takes for each fixed-size datatype. BOOL is one byte per element in
 * both layouts; FP16 is its raw bits in a Uint16Array (Node has no Float16Array before v24, and
 * ORT accepts Uint16Array for float16 either way).
 */
const TYPED_ARRAY: Record<Exclude<TensorPayload['datatype'], 'BYTES'>, TypedArrayConstructor> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
};

/**
 * Wraps a payload as an ORT tensor. The typed array is a view over the payload's bytes when
 * its byteOffset is a multiple of the element size (the usual case: Node aligns its buffer
 * pool to 8), so the tensor shares memory with the payload; an unaligned slice (a tensor cut
 * out of a binary request body) cannot be viewed as wider elements and is copied once.
 * Assumes a little-endian host, as every platform onnxruntime-node ships for is.
 */
export function toOrtTensor(payload: TensorPayload): Tensor {
  const { name, datatype, shape, data } = payload;
  const count = elementCount(shape);
  if (datatype === 'BYTES') return new Tensor('string', decodeBytesElements(data, count, name), shape);

  const elementSize = DATATYPE_BYTE_SIZE[datatype] as number;
  if (data.byteLength !== count * elementSize) {
    throw new RangeError(`tensor '${name}': ${data.byteLength} bytes of ${datatype} do not fit shape [${shape.join(',')}] (${count * elementSize} expected)`);
  }
  const ArrayType = TYPED_ARRAY[datatype];
  let values: InstanceType<TypedArrayConstructor>;
  if (data.byteOffset % elementSize === 0) {
    values = new ArrayType(data.buffer as ArrayBuffer, data.byteOffset, count);
  } else {
    values = new ArrayType(count);
    new Uint8Array(values.buffer).set(data);
  }
  // The constructor's overloads key on the literal type; the table above guarantees the match.
  return new Tensor(OIP_TO_ORT_TYPE[datatype] as 'float32', values as Float32Array, shape);
}

/**
 * Reads an ORT output back into a payload, viewing the tensor's own memory (no copy) for
 * fixed-size types; strings are encoded into BYTES.
 */
export function fromOrtTensor(name: string, tensor: Tensor): TensorPayload {
  const datatype = oipDatatypeOf(tensor.type);
  if (datatype === undefined) throw new TypeError(`tensor '${name}': ORT type ${tensor.type} has no OIP datatype`);
  const shape = Array.from(tensor.dims);
  const values = tensor.data;
  const data = Array.isArray(values) ? encodeBytesElements(values) : Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  return { name, datatype, shape, data };
}
