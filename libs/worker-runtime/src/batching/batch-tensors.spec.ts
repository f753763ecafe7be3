import { Tensor } from 'onnxruntime-node';
import type { TensorPayload } from '@falaj/contracts';
import { BatchSplitError, mergeFeeds, splitOutputs } from './batch-tensors';
import { batchKey, checkRequest, hasBatchDimension, RequestRejectedError } from './request-check';

const fp32 = (name: string, shape: number[], values: number[]): TensorPayload => ({
  name,
  datatype: 'FP32',
  shape,
  data: Buffer.from(new Float32Array(values).buffer),
});
const signature = {
  inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [-1, 2] }],
  outputs: [{ name: 'out', datatype: 'FP32' as const, shape: [-1, 1] }],
};

describe('mergeFeeds', () => {
  it('stacks the members along axis 0', () => {
    const feeds = mergeFeeds([[fp32('input', [1, 2], [1, 2])], [fp32('input', [2, 2], [3, 4, 5, 6])]]);
    expect(feeds.input.dims).toEqual([3, 2]);
    expect(Array.from(feeds.input.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('splitOutputs', () => {
  it("cuts each output back into the members' rows", () => {
    const out = new Tensor('float32', Float32Array.from([10, 20, 30]), [3, 1]);
    const labels = new Tensor('string', ['a', 'b', 'c'], [3]);
    const [first, second] = splitOutputs({ out, labels }, [1, 2]);
    expect(first[0].shape).toEqual([1, 1]);
    expect(Array.from(new Float32Array(new Uint8Array(second[0].data).buffer))).toEqual([20, 30]);
    expect(second[1]).toMatchObject({ name: 'labels', datatype: 'BYTES', shape: [2] });
    expect(second[1].data.toString('latin1')).toBe('\x01\0\0\0b\x01\0\0\0c');
  });

  it('refuses an output whose first dimension is not the batch', () => {
    const out = new Tensor('float32', Float32Array.from([1]), [1]);
    expect(() => splitOutputs({ out }, [1, 2])).toThrow(BatchSplitError);
  });
});

describe('checkRequest', () => {
  it('accepts a request that fits the signature', () => {
    expect(() => checkRequest([fp32('input', [2, 2], [1, 2, 3, 4])], signature)).not.toThrow();
  });

  it.each([
    ['a wrong name', [fp32('x', [1, 2], [1, 2])], /input 'input' is missing/],
    ['a wrong shape', [fp32('input', [1, 3], [1, 2, 3])], /shape \[1,3\] does not match the model's \[-1,2\]/],
    ['bytes that do not fit', [{ ...fp32('input', [2, 2], [1, 2]) }], /8 bytes do not fit shape \[2,2\]/],
    ['a wrong datatype', [{ ...fp32('input', [1, 2], [1, 2]), datatype: 'FP64' as const }], /datatype FP64/],
  ])('rejects %s', (_what, inputs, message) => {
    expect(() => checkRequest(inputs, signature)).toThrow(RequestRejectedError);
    expect(() => checkRequest(inputs, signature)).toThrow(message);
  });
});

describe('batchKey', () => {
  it('groups requests by non-batch dimensions and outputs, and counts rows', () => {
    const a = batchKey([fp32('input', [1, 2], [1, 2])], []);
    const b = batchKey([fp32('input', [3, 2], [1, 2, 3, 4, 5, 6])], []);
    const c = batchKey([fp32('input', [1, 2], [1, 2])], ['out']);
    expect(a?.key).toBe(b?.key);
    expect(b?.size).toBe(3);
    expect(c?.key).not.toBe(a?.key);
  });
});

describe('hasBatchDimension', () => {
  it('is true only when every input and output starts with a dynamic dimension', () => {
    expect(hasBatchDimension(signature)).toBe(true);
    expect(hasBatchDimension({ ...signature, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 2] }] })).toBe(false);
  });
});
