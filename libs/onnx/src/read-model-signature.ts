import type { ModelSignature, TensorSpec } from '@falaj/contracts';
import type { InferenceSession } from 'onnxruntime-node';
import { InvalidModelError } from './invalid-model.error';
import { oipDatatypeOf } from './ort-datatype';

/**
 * The OIP signature of a loaded session. ORT reports a symbolic dimension by its name
 * ("batch") and an unnamed unknown one as "" — both become -1, as OIP metadata writes dynamic
 * dims. A model whose rank is unknown reports shape [] (indistinguishable from a scalar here).
 */
export function readModelSignature(session: InferenceSession): ModelSignature {
  return signatureOf(session.inputMetadata, session.outputMetadata);
}

/** The signature of a session's metadata, also as it comes back from another process. */
export function signatureOf(inputs: readonly InferenceSession.ValueMetadata[], outputs: readonly InferenceSession.ValueMetadata[]): ModelSignature {
  return {
    inputs: inputs.map((meta) => toTensorSpec('input', meta)),
    outputs: outputs.map((meta) => toTensorSpec('output', meta)),
  };
}

function toTensorSpec(role: 'input' | 'output', meta: InferenceSession.ValueMetadata): TensorSpec {
  if (!meta.isTensor) {
    throw new InvalidModelError(`${role} '${meta.name}' is not a tensor (sequences and maps are not supported)`);
  }
  const datatype = oipDatatypeOf(meta.type);
  if (datatype === undefined) {
    throw new InvalidModelError(`${role} '${meta.name}' has element type ${meta.type}, which OIP has no datatype for`);
  }
  return {
    name: meta.name,
    datatype,
    shape: meta.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : -1)),
  };
}
