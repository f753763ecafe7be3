import { DATATYPE_BYTE_SIZE, elementCount, type ModelSignature, type TensorPayload } from '@falaj/contracts';

/** A request the model cannot take: answered 400, and never merged with others. */
export class RequestRejectedError extends Error {}

/**
 * Checks a request's tensors against the version's signature before it may join a batch: the
 * gateway validates too, but the stream is an edge, and one malformed member would otherwise
 * fail the merged run for everyone in it.
 */
export function checkRequest(inputs: readonly TensorPayload[], signature: ModelSignature): void {
  if (inputs.length !== signature.inputs.length) {
    const expected = signature.inputs.map((i) => i.name).join(', ');
    throw new RequestRejectedError(`expected inputs [${expected}], got [${inputs.map((i) => i.name).join(', ')}]`);
  }
  for (const spec of signature.inputs) {
    const tensor = inputs.find((t) => t.name === spec.name);
    if (!tensor) throw new RequestRejectedError(`input '${spec.name}' is missing`);
    if (tensor.datatype !== spec.datatype) {
      throw new RequestRejectedError(`input '${spec.name}': datatype ${tensor.datatype} does not match the model's ${spec.datatype}`);
    }
    const fits = tensor.shape.length === spec.shape.length && spec.shape.every((d, i) => d < 0 || d === tensor.shape[i]);
    if (!fits) {
      throw new RequestRejectedError(`input '${spec.name}': shape [${tensor.shape.join(',')}] does not match the model's [${spec.shape.join(',')}]`);
    }
    const size = DATATYPE_BYTE_SIZE[tensor.datatype];
    if (size !== null && tensor.data.length !== elementCount(tensor.shape) * size) {
      throw new RequestRejectedError(`input '${spec.name}': ${tensor.data.length} bytes do not fit shape [${tensor.shape.join(',')}] of ${tensor.datatype}`);
    }
  }
}

/** Whether a version can merge requests along axis 0: every input and output has a dynamic first dimension. */
export function hasBatchDimension(signature: ModelSignature): boolean {
  const dynamicFirst = (shape: number[]) => shape.length > 0 && shape[0] < 0;
  return signature.inputs.length > 0 && signature.inputs.every((i) => dynamicFirst(i.shape)) && signature.outputs.every((o) => dynamicFirst(o.shape));
}

/**
 * Requests with the same key may share a run: same inputs with the same datatypes and the same
 * non-batch dimensions, same outputs asked for. Null when the request's inputs disagree on their
 * batch size, so it runs alone.
 */
export function batchKey(inputs: readonly TensorPayload[], outputs: readonly string[]): { key: string; size: number } | null {
  const size = inputs[0]?.shape[0];
  if (size === undefined || size < 1) return null;
  let key = outputs.join(',');
  for (const t of inputs) {
    if (t.shape[0] !== size) return null;
    key += `|${t.name}:${t.datatype}:${t.shape.slice(1).join('x')}`;
  }
  return { key, size };
}
