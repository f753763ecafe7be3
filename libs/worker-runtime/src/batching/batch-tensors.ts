import { Tensor } from 'onnxruntime-node';
import { encodeBytesElements, type TensorPayload } from '@falaj/contracts';
import { oipDatatypeOf, toOrtTensor } from '@falaj/onnx';

/**
 * Stacks the members' inputs along axis 0 into one set of feeds. Triton's binary layout is
 * row-major, so stacking is a plain byte concatenation, BYTES included (each element carries its
 * own length prefix).
 */
export function mergeFeeds(members: readonly (readonly TensorPayload[])[]): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const first of members[0]) {
    const parts = members.map((inputs) => inputs.find((t) => t.name === first.name) as TensorPayload);
    const batch = parts.reduce((sum, t) => sum + t.shape[0], 0);
    feeds[first.name] = toOrtTensor({
      name: first.name,
      datatype: first.datatype,
      shape: [batch, ...first.shape.slice(1)],
      data: Buffer.concat(parts.map((t) => t.data)),
    });
  }
  return feeds;
}

export class BatchSplitError extends Error {}

/**
 * Cuts each output back into the members' rows (views over the output's memory, no copy). Throws
 * when an output's first dimension is not the batch's size: such a model does not batch along
 * axis 0 and its members must run one by one.
 */
export function splitOutputs(results: Record<string, Tensor>, sizes: readonly number[]): TensorPayload[][] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const perMember: TensorPayload[][] = sizes.map(() => []);
  for (const [name, tensor] of Object.entries(results)) {
    const datatype = oipDatatypeOf(tensor.type);
    if (datatype === undefined) throw new TypeError(`tensor '${name}': ORT type ${tensor.type} has no OIP datatype`);
    const dims = Array.from(tensor.dims);
    if (dims[0] !== total) throw new BatchSplitError(`output '${name}' has ${dims[0]} rows for a batch of ${total}`);
    const rowElements = total === 0 ? 0 : tensor.size / total;
    const values = tensor.data;
    let row = 0;
    sizes.forEach((size, i) => {
      const start = row * rowElements;
      const end = (row + size) * rowElements;
      const data = Array.isArray(values)
        ? encodeBytesElements(values.slice(start, end))
        : Buffer.from(values.buffer, values.byteOffset + start * values.BYTES_PER_ELEMENT, (end - start) * values.BYTES_PER_ELEMENT);
      perMember[i].push({ name, datatype, shape: [size, ...dims.slice(1)], data });
      row += size;
    });
  }
  return perMember;
}
