import { REPLY_TOO_LARGE_STATUS, DomainError } from '@falaj/contracts';

/** What a InferenceError says went wrong: its `code`, in every protocol's error answer. */
export const INFERENCE_ERROR_CODES = ['not_ready', 'region_store_missing', 'forbidden', 'bad_request', 'timeout', 'reply_too_large', 'worker_error'] as const;
export type InferenceErrorCode = (typeof INFERENCE_ERROR_CODES)[number];

/**
 * An inference request refused or failed on its way through the pipeline, with the HTTP-like
 * status every protocol maps (REST and KServe v1 by the global filter, gRPC by its status table,
 * Kafka as the response's status header).
 */
export class InferenceError extends DomainError<InferenceErrorCode> {
  static noWorker(pool: string, model: string, version: number, residency?: string): InferenceError {
    // Under residency the pool is the only one allowed: say so, so nobody expects a spill elsewhere.
    const rule = residency === undefined ? '' : ` (residency: the tenant's data stays in region '${residency}')`;
    return new InferenceError(503, `model '${model}' version ${version} is not ready on any worker of pool ${pool}${rule}`, 'not_ready', { retryAfterSeconds: 1 });
  }
  /** The call's region keeps no audit store (the registry's FALAJ_REGION_STORES): refused rather than audited elsewhere. */
  static regionStoreMissing(region: string): InferenceError {
    return new InferenceError(503, `region '${region}' has no audit store configured: its calls are refused rather than audited in another region`, 'region_store_missing');
  }
  static forbidden(message: string): InferenceError {
    return new InferenceError(403, message, 'forbidden');
  }
  static badRequest(message: string): InferenceError {
    return new InferenceError(400, message, 'bad_request');
  }
  static timeout(message: string): InferenceError {
    return new InferenceError(504, message, 'timeout');
  }
  /**
   * A worker's refusal or failure. Its 4xx are about the caller's input and say what is wrong;
   * its 503 and 504 are its own states (not loaded, deadline passed). A failure to run (500) says
   * what onnxruntime said, with the model's node names and the runtime's source paths: that stays
   * in the log (see InferencePipeline), and the caller gets the request id to ask about.
   */
  static fromWorker(status: number, message: string, requestId: string): InferenceError {
    // A worker answers 422 only when the answer is over its reply limit (FALAJ_MAX_REPLY_BYTES).
    if (status === REPLY_TOO_LARGE_STATUS) return new InferenceError(status, message, 'reply_too_large', { limit: 'reply_bytes' });
    if (status < 500 || status === 503 || status === 504) return new InferenceError(status, message, 'worker_error');
    return new InferenceError(status, `the model failed to run this request (request id ${requestId})`, 'worker_error');
  }
}
