import type { ModelSignature } from '@falaj/contracts';
import { InferenceSession } from 'onnxruntime-node';
import { InvalidModelError } from './invalid-model.error';
import { readOnnxModelHeader } from './onnx-model-header';
import { readModelSignature } from './read-model-signature';

export interface OnnxModelInspection {
  signature: ModelSignature;
  /** Opset of the default ONNX domain, when the file declares one. */
  opset?: number;
  /** producer_name of the ModelProto, when set. */
  producer?: string;
}

/**
 * Validates a model file the only way that is authoritative — by loading it into a CPU
 * session, as a worker will — and reads its signature. The session is released before this
 * resolves: the registry inspects uploads, it never serves them. Loading by path (not buffer)
 * keeps models with external data files working.
 */
export async function inspectOnnxModel(path: string): Promise<OnnxModelInspection> {
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(path, {
      executionProviders: ['cpu'],
      // One thread each: inspection is a one-off, no need to spin up a full thread pool.
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    });
  } catch (error) {
    throw new InvalidModelError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  try {
    const signature = readModelSignature(session);
    const header = await readOnnxModelHeader(path);
    return {
      signature,
      ...(header.opset !== undefined ? { opset: header.opset } : {}),
      ...(header.producer ? { producer: header.producer } : {}),
    };
  } finally {
    await session.release();
  }
}
