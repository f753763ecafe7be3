import { DomainError } from '@falaj/http';

export class InferenceError extends DomainError {
  static modelNotFound(model: string): InferenceError {
    return new InferenceError(404, `model '${model}' not found`, 'model_not_found');
  }
  static versionNotFound(model: string, version: string): InferenceError {
    return new InferenceError(404, `version ${version} of model '${model}' is not serving`, 'version_not_found');
  }
  static noWorker(pool: string, model: string, version: number): InferenceError {
    return new InferenceError(503, `model '${model}' version ${version} is not ready on any worker of pool ${pool}`, 'not_ready');
  }
  static timeout(message: string): InferenceError {
    return new InferenceError(504, message, 'timeout');
  }
  static fromWorker(status: number, message: string): InferenceError {
    return new InferenceError(status, message, 'worker_error');
  }
}
