import { DATATYPE_BYTE_SIZE, type ModelSignature, type TensorSpec } from '@falaj/contracts';
import type { OnnxModelScan } from './onnx-model-scan';

/** What one model may declare: any one input, output or initializer within these. */
export interface ModelLimits {
  maxTensorElements: number;
  maxTensorBytes: number;
}

/**
 * The elements and bytes a declared tensor takes at its smallest: dynamic dimensions count as 1,
 * as a warm-up feeds them; a BYTES element as its 4-byte length.
 */
export function declaredSize(spec: Pick<TensorSpec, 'shape' | 'datatype'>): { elements: number; bytes: number } {
  let elements = 1;
  for (const dim of spec.shape) elements *= dim < 0 ? 1 : dim;
  return { elements, bytes: elements * (DATATYPE_BYTE_SIZE[spec.datatype] ?? 4) };
}

/**
 * What is wrong with a model by the platform's limits, or [] when nothing is: every declared
 * input and output (as onnxruntime reads them after shape inference, so an output a constant
 * shape fixes counts too) and the largest declared tensor of the file must fit
 * FALAJ_MODEL_MAX_TENSOR_ELEMENTS and FALAJ_MODEL_MAX_TENSOR_BYTES. A model that declares a
 * [65536, 65536, 65536] input would otherwise make every worker allocate it to warm up.
 */
export function modelLimitProblems(signature: ModelSignature, scan: Pick<OnnxModelScan, 'largestTensor'>, limits: ModelLimits): string[] {
  const problems: string[] = [];
  const check = (what: string, elements: number, bytes: number) => {
    if (elements > limits.maxTensorElements) problems.push(`${what} has ${elements} elements, over the limit of ${limits.maxTensorElements} per tensor (FALAJ_MODEL_MAX_TENSOR_ELEMENTS)`);
    else if (bytes > limits.maxTensorBytes) problems.push(`${what} takes ${bytes} bytes, over the limit of ${limits.maxTensorBytes} per tensor (FALAJ_MODEL_MAX_TENSOR_BYTES)`);
  };
  for (const [role, specs] of [
    ['input', signature.inputs],
    ['output', signature.outputs],
  ] as const) {
    for (const spec of specs) {
      const { elements, bytes } = declaredSize(spec);
      check(`${role} '${spec.name}' of shape [${spec.shape.join(',')}]`, elements, bytes);
    }
  }
  if (scan.largestTensor) check(`tensor '${scan.largestTensor.name}' of the model file`, scan.largestTensor.elements, scan.largestTensor.bytes);
  return problems;
}
