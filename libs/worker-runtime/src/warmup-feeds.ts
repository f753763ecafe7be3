import type { Tensor } from 'onnxruntime-node';
import { DATATYPE_BYTE_SIZE, elementCount, type ModelSignature } from '@falaj/contracts';
import { declaredSize, toOrtTensor } from '@falaj/onnx';

/** Bytes the warm-up feeds of a signature take: every input at its declared shape, dynamic dims as 1. */
export function warmupBytes(signature: ModelSignature): number {
  return signature.inputs.reduce((total, input) => total + declaredSize(input).bytes, 0);
}

/**
 * Zero-filled inputs, dynamic dimensions set to 1, for one run before a model reports ready:
 * onnxruntime allocates its arenas and picks kernels on the first run, which would otherwise
 * land on the first caller.
 */
export function warmupFeeds(signature: ModelSignature): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const input of signature.inputs) {
    const shape = input.shape.map((d) => (d < 0 ? 1 : d));
    // BYTES elements are a 4-byte length each: all-zero bytes are empty strings.
    const bytesPerElement = DATATYPE_BYTE_SIZE[input.datatype] ?? 4;
    const data = Buffer.alloc(elementCount(shape) * bytesPerElement);
    feeds[input.name] = toOrtTensor({ name: input.name, datatype: input.datatype, shape, data });
  }
  return feeds;
}
