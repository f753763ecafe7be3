import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { ThreadRunner } from './session-thread';

/** Real onnxruntime on a real worker thread, against the same model run on this thread. */
const MLP = join(__dirname, '../../../models/tiny-mlp.onnx');

jest.setTimeout(60_000);

describe(ThreadRunner.name, () => {
  describe('run', () => {
    it('answers what the same session computes on this thread, from a view inside a larger buffer', async () => {
      const runner = await ThreadRunner.create(MLP, { intraOpNumThreads: 1 });
      const direct = await InferenceSession.create(MLP);
      try {
        const backing = new Float32Array([9, 9, 0.1, 0.2, 0.3, 0.4, 1, 2, 3, 4, 9]);
        const view = new Float32Array(backing.buffer, 2 * 4, 8);
        const got = await runner.run({ input: new Tensor('float32', view, [2, 4]) });
        const expected = await direct.run({ input: new Tensor('float32', view.slice(), [2, 4]) });
        expect(got.probabilities.dims).toEqual([2, 3]);
        expect(Array.from(got.probabilities.data as Float32Array)).toEqual(Array.from(expected.probabilities.data as Float32Array));
        // The caller's buffer is untouched (a copy crossed, not the buffer itself).
        expect(backing[2]).toBeCloseTo(0.1);
      } finally {
        await runner.release();
        await direct.release();
      }
    });

    it("rejects with onnxruntime's message when the run fails, and keeps serving", async () => {
      const runner = await ThreadRunner.create(MLP, {});
      try {
        await expect(runner.run({ input: new Tensor('float32', new Float32Array(5), [1, 5]) })).rejects.toThrow(/input/i);
        const ok = await runner.run({ input: new Tensor('float32', new Float32Array(4), [1, 4]) });
        expect(ok.probabilities.dims).toEqual([1, 3]);
      } finally {
        await runner.release();
      }
    });
  });

  describe('create', () => {
    it('rejects a file that is not a model', async () => {
      await expect(ThreadRunner.create(join(__dirname, '../../../models/not-a-model.onnx'), {})).rejects.toThrow();
    });
  });
});
