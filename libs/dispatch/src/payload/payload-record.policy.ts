import { createHmac } from 'node:crypto';
import { decodeBytesElements, elementCount, type PayloadBody, type PayloadLogging, type PayloadRecord, type PayloadTensor, type TensorPayload } from '@falaj/contracts';
import { fromHalfBits } from '@falaj/oip';
import type { PayloadKeys } from './payload-keys';
import { redactPii } from './pii.policy';

/**
 * What one record keeps at most, so a payload record always fits its audit event on Kafka (1 MiB
 * messages) whatever the call's size: the elements of a string tensor, the characters of each,
 * and the raw bytes of a numeric one. Past them the tensor is marked `truncated`; an HMAC and the
 * summary statistics always cover the whole tensor.
 */
export const PAYLOAD_LIMITS = { elements: 256, chars: 1024, rawBytes: 64 * 1024 } as const;

/** The policy that applies to a call: the model's override, else the tenant's, else `none`. */
export function effectivePolicy(tenant: PayloadLogging | undefined, model: PayloadLogging | undefined): PayloadLogging {
  return model ?? tenant ?? 'none';
}

/**
 * A call's payload record under its policy, or null under `none`. Pure but for the keys (an HMAC
 * key per tenant; under `full`, the seal). The raw tensors are never in what it returns, except
 * sealed under `full`.
 */
export function payloadRecordOf(
  policy: PayloadLogging,
  tenantId: string,
  eventId: string,
  request: readonly TensorPayload[],
  response: readonly TensorPayload[],
  keys: PayloadKeys,
): PayloadRecord | null {
  switch (policy) {
    case 'none':
      return null;
    case 'hash': {
      const key = keys.hmacKey(tenantId);
      return { policy, body: { request: request.map((t) => hmacTensor(t, key)), response: response.map((t) => hmacTensor(t, key)) } };
    }
    case 'redact':
      return { policy, body: { request: request.map(redactTensor), response: response.map(redactTensor) } };
    case 'full': {
      const body: PayloadBody = { request: request.map(rawTensor), response: response.map(rawTensor) };
      return { policy, sealed: keys.sealBody(tenantId, body, eventId) };
    }
  }
}

/**
 * HMAC-SHA256 of the tensor's canonical form: its name, datatype and shape, then its bytes in
 * Triton's binary layout (little-endian, row-major, BYTES length-prefixed), each part
 * length-prefixed, so equal tensors give equal HMACs from every protocol and nothing else does.
 */
export function tensorHmac(tensor: TensorPayload, key: Buffer): string {
  const hmac = createHmac('sha256', key);
  for (const part of [tensor.name, tensor.datatype, JSON.stringify(tensor.shape)]) hmac.update(`${Buffer.byteLength(part)}:${part}`);
  return hmac.update(`${tensor.data.length}:`).update(tensor.data).digest('hex');
}

function hmacTensor(tensor: TensorPayload, key: Buffer): PayloadTensor {
  return { kind: 'hmac', name: tensor.name, datatype: tensor.datatype, shape: tensor.shape, hmac: tensorHmac(tensor, key) };
}

function redactTensor(tensor: TensorPayload): PayloadTensor {
  const { name, datatype, shape } = tensor;
  if (datatype === 'BYTES') {
    return { kind: 'text', name, datatype, shape, ...texts(tensor, redactPii) };
  }
  return { kind: 'summary', name, datatype, shape, ...summary(tensor) };
}

function rawTensor(tensor: TensorPayload): PayloadTensor {
  const { name, datatype, shape } = tensor;
  if (datatype === 'BYTES') return { kind: 'text', name, datatype, shape, ...texts(tensor, (value) => value) };
  const truncated = tensor.data.length > PAYLOAD_LIMITS.rawBytes;
  return { kind: 'raw', name, datatype, shape, data: tensor.data.subarray(0, PAYLOAD_LIMITS.rawBytes).toString('base64'), truncated };
}

/**
 * The elements of a BYTES tensor, each transformed (redacted) whole and then cut to the record's
 * limits: a cut never splits a value before its detector has seen it.
 */
function texts(tensor: TensorPayload, transform: (value: string) => string): { values: string[]; truncated: boolean } {
  const count = elementCount(tensor.shape);
  let all: string[];
  try {
    all = decodeBytesElements(tensor.data, count, tensor.name);
  } catch {
    // Framing the codecs already checked; a reply that breaks it is recorded without its text.
    return { values: [], truncated: true };
  }
  let truncated = all.length > PAYLOAD_LIMITS.elements;
  const values = all.slice(0, PAYLOAD_LIMITS.elements).map((element) => {
    const value = transform(element);
    if (value.length <= PAYLOAD_LIMITS.chars) return value;
    truncated = true;
    return value.slice(0, PAYLOAD_LIMITS.chars);
  });
  return { values, truncated };
}

type Reader = (data: DataView, offset: number) => number;
const READERS: Record<Exclude<TensorPayload['datatype'], 'BYTES'>, [bytes: number, read: Reader]> = {
  BOOL: [1, (d, o) => (d.getUint8(o) === 0 ? 0 : 1)],
  UINT8: [1, (d, o) => d.getUint8(o)],
  UINT16: [2, (d, o) => d.getUint16(o, true)],
  UINT32: [4, (d, o) => d.getUint32(o, true)],
  UINT64: [8, (d, o) => Number(d.getBigUint64(o, true))],
  INT8: [1, (d, o) => d.getInt8(o)],
  INT16: [2, (d, o) => d.getInt16(o, true)],
  INT32: [4, (d, o) => d.getInt32(o, true)],
  INT64: [8, (d, o) => Number(d.getBigInt64(o, true))],
  FP16: [2, (d, o) => fromHalfBits(d.getUint16(o, true))],
  FP32: [4, (d, o) => d.getFloat32(o, true)],
  FP64: [8, (d, o) => d.getFloat64(o, true)],
};

/** Count, min, max and mean of the finite elements (NaN and ±Inf are counted, not summed). */
export function summary(tensor: TensorPayload): { count: number; min: number | null; max: number | null; mean: number | null } {
  const [size, read] = READERS[tensor.datatype as keyof typeof READERS];
  const view = new DataView(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  const count = Math.floor(tensor.data.length / size);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let finite = 0;
  for (let i = 0; i < count; i++) {
    const value = read(view, i * size);
    if (!Number.isFinite(value)) continue;
    if (value < min) min = value;
    if (value > max) max = value;
    sum += value;
    finite++;
  }
  return finite === 0 ? { count, min: null, max: null, mean: null } : { count, min, max, mean: sum / finite };
}
