import type { ModelSignature } from '@falaj/contracts';
import { decodeKserveV1Request, encodeKserveV1Response } from './kserve-v1.codec';
import { OipError } from './oip.error';

const ONE: ModelSignature = { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }] };
const TWO: ModelSignature = {
  inputs: [
    { name: 'ids', datatype: 'INT64', shape: [-1, 3] },
    { name: 'flag', datatype: 'BOOL', shape: [-1] },
  ],
  outputs: [],
};
const f32 = (...values: number[]) => Buffer.from(Float32Array.of(...values).buffer);

function expectBadRequest(call: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    call();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(OipError);
  expect((caught as OipError).status).toBe(400);
  expect((caught as OipError).message).toMatch(message);
}

describe(decodeKserveV1Request.name, () => {
  it('stacks instances of a one-input model along a batch dimension', () => {
    const [input] = decodeKserveV1Request(
      {
        instances: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      },
      ONE,
    ).inputs;
    expect(input).toEqual({ name: 'x', datatype: 'FP32', shape: [3, 2], data: f32(1, 2, 3, 4, 5, 6) });
    expect(decodeKserveV1Request({ inputs: [[1, 2]] }, ONE).inputs[0].shape).toEqual([1, 2]);
  });

  it('maps row objects and columnar objects onto a model with several inputs', () => {
    const rows = decodeKserveV1Request(
      {
        instances: [
          { ids: [1, 2, 3], flag: true },
          { ids: [4, 5, 6], flag: false },
        ],
      },
      TWO,
    ).inputs;
    const columns = decodeKserveV1Request(
      {
        inputs: {
          ids: [
            [1, 2, 3],
            [4, 5, 6],
          ],
          flag: [true, false],
        },
      },
      TWO,
    ).inputs;
    expect(rows).toEqual(columns);
    expect(rows.map((t) => [t.name, t.shape])).toEqual([
      ['ids', [2, 3]],
      ['flag', [2]],
    ]);
    expect(rows[1].data).toEqual(Buffer.from([1, 0]));
  });

  it.each([
    [{ instances: [[1, 2]], inputs: [[1, 2]] }, ONE, /exactly one of 'instances' or 'inputs'/],
    [{ instances: [] }, ONE, /non-empty array/],
    [{ instances: [[1, 2, 3]] }, ONE, /shape \[1,3\] does not match the model's \[-1,2\]/],
    [{ instances: [[1, 2], [3]] }, ONE, /nested data does not match shape/],
    [{ instances: [[1, 2, 3]] }, TWO, /must be an object keyed by input name/],
    [{ instances: [{ ids: [1, 2, 3] }] }, TWO, /input 'flag' is required/],
    [{ instances: [{ ids: [1, 2, 3], flag: true, extra: 1 }] }, TWO, /input 'extra' is not an input of the model/],
    [{ inputs: [[1, 2, 3]] }, TWO, /'inputs' must be an object keyed by input name/],
  ])('refuses %j with 400', (body, signature, message) => {
    expectBadRequest(() => decodeKserveV1Request(body, signature), message);
  });
});

describe(encodeKserveV1Response.name, () => {
  it('answers a row per instance: values for one output, objects for several', () => {
    const y = { name: 'y', datatype: 'FP32' as const, shape: [2, 2], data: f32(1, 2, 3, 4) };
    const z = { name: 'z', datatype: 'BYTES' as const, shape: [2], data: Buffer.from([1, 0, 0, 0, 0x61, 1, 0, 0, 0, 0x62]) };
    expect(encodeKserveV1Response([y])).toEqual({
      predictions: [
        [1, 2],
        [3, 4],
      ],
    });
    expect(encodeKserveV1Response([y, z])).toEqual({
      predictions: [
        { y: [1, 2], z: 'a' },
        { y: [3, 4], z: 'b' },
      ],
    });
  });
});
