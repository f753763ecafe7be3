import { InferenceError } from './inference.error';

describe('InferenceError', () => {
  describe('fromWorker', () => {
    it("keeps a worker's 400 about the caller's input as it is", () => {
      const error = InferenceError.fromWorker(400, "input 'input': shape [1,5] does not match the model's [-1,4]", 'r-1');
      expect(error).toMatchObject({ status: 400, message: "input 'input': shape [1,5] does not match the model's [-1,4]", code: 'worker_error' });
    });

    it("keeps a worker's own states (503 not loaded, 504 deadline)", () => {
      expect(InferenceError.fromWorker(503, "model 'm' version 1 is loading on this worker", 'r-1').message).toBe("model 'm' version 1 is loading on this worker");
      expect(InferenceError.fromWorker(504, 'the deadline passed while the request was queued', 'r-1').message).toBe('the deadline passed while the request was queued');
    });

    it('replaces an execution failure with a safe message naming the request id', () => {
      const error = InferenceError.fromWorker(500, "model execution failed: Non-zero status code returned while running Reshape node. Name:'reshape' /onnxruntime_src/…", 'r-42');
      expect(error).toMatchObject({ status: 500, message: 'the model failed to run this request (request id r-42)', code: 'worker_error' });
      expect(InferenceError.fromWorker(502, 'anything', 'r-43').message).toBe('the model failed to run this request (request id r-43)');
    });
  });
});
