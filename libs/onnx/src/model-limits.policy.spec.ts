import fc from 'fast-check';
import type { ModelSignature } from '@falaj/contracts';
import { declaredSize, modelLimitProblems } from './model-limits.policy';

const limits = { maxTensorElements: 1_000_000, maxTensorBytes: 2_000_000 };
const none = { largestTensor: null };
const sig = (shape: number[], datatype: 'FP32' | 'UINT8' | 'BYTES' = 'FP32'): ModelSignature => ({ inputs: [{ name: 'x', datatype, shape }], outputs: [] });

describe(modelLimitProblems.name, () => {
  it('accepts a model within the limits, dynamic dims counting as 1', () => {
    expect(modelLimitProblems(sig([-1, 500_000]), none, limits)).toEqual([]);
  });

  it('refuses a declared input over the element limit, naming it, its shape and the limit', () => {
    expect(modelLimitProblems(sig([65536, 65536, 65536]), none, limits)).toEqual([
      "input 'x' of shape [65536,65536,65536] has 281474976710656 elements, over the limit of 1000000 per tensor (FALAJ_MODEL_MAX_TENSOR_ELEMENTS)",
    ]);
  });

  it('refuses by bytes what fits by elements', () => {
    expect(modelLimitProblems(sig([1, 600_000]), none, limits)).toEqual(["input 'x' of shape [1,600000] takes 2400000 bytes, over the limit of 2000000 per tensor (FALAJ_MODEL_MAX_TENSOR_BYTES)"]);
    expect(modelLimitProblems(sig([1, 600_000], 'UINT8'), none, limits)).toEqual([]);
  });

  it('checks outputs and the largest tensor of the file', () => {
    const signature: ModelSignature = { inputs: [], outputs: [{ name: 'y', datatype: 'FP32', shape: [32768, 32768] }] };
    const problems = modelLimitProblems(signature, { largestTensor: { name: 'w', elements: 10, bytes: 3_000_000 } }, limits);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^output 'y'/);
    expect(problems[1]).toMatch(/^tensor 'w' of the model file takes 3000000 bytes/);
  });

  it('refuses exactly the shapes whose smallest size is over a limit (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 5000 })), { maxLength: 4 }), (shape) => {
        const { elements, bytes } = declaredSize({ shape, datatype: 'FP32' });
        const over = elements > limits.maxTensorElements || bytes > limits.maxTensorBytes;
        expect(modelLimitProblems(sig(shape), none, limits).length > 0).toBe(over);
      }),
    );
  });
});
