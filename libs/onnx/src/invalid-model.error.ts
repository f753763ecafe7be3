/**
 * A model file onnxruntime cannot load, or one Falaj cannot serve (a non-tensor input, a type
 * OIP has no datatype for). The registry turns it into a rejected upload, never a crash.
 */
export class InvalidModelError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidModelError';
  }
}
