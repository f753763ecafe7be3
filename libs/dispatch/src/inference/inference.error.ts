import { DomainError } from '@falaj/http';

/**
 * An inference request refused or failed on its way through the pipeline, with the HTTP-like
 * status every protocol maps (REST and KServe v1 by the global filter, gRPC by its status table,
 * Kafka as the response's status header).
 */
export class InferenceError extends DomainError {
  static noWorker(pool: string, model: string, version: number, residency?: string): InferenceError {
    // Under residency the pool is the only one allowed: say so, so nobody expects a spill elsewhere.
    const rule = residency === undefined ? '' : ` (residency: the tenant's data stays in region '${residency}')`;
    return new InferenceError(503, `model '${model}' version ${version} is not ready on any worker of pool ${pool}${rule}`, 'not_ready');
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
  static fromWorker(status: number, message: string): InferenceError {
    return new InferenceError(status, message, 'worker_error');
  }
}
