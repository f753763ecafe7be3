import type { ModelSignature } from '@falaj/contracts';
import { decodeGrpcInferRequest, decodeGrpcParameters, encodeGrpcInferResponse } from './grpc-infer.codec';
import { OipError } from './oip.error';

const SIGNATURE: ModelSignature = {
  inputs: [
    { name: 'ids', datatype: 'INT64', shape: [-1] },
    { name: 'scale', datatype: 'FP16', shape: [1] },
  ],
  outputs: [{ name: 'out', datatype: 'FP32', shape: [-1] }],
};
const TEXT_SIGNATURE: ModelSignature = { inputs: [{ name: 't', datatype: 'BYTES', shape: [-1] }], outputs: [] };

const IDS = Buffer.from(BigInt64Array.of(1n, -2n, 2n ** 62n).buffer);
const HALF = Buffer.from(Uint16Array.of(0x3c00).buffer);

function expectStatus(call: () => unknown, status: number, message: RegExp): void {
  let caught: unknown;
  try {
    call();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(OipError);
  expect(caught).toMatchObject({ status });
  expect((caught as Error).message).toMatch(message);
}

describe(decodeGrpcInferRequest.name, () => {
  it('takes raw_input_contents in input order', () => {
    const request = decodeGrpcInferRequest(
      {
        id: 'r1',
        inputs: [
          { name: 'ids', datatype: 'INT64', shape: ['3'] },
          { name: 'scale', datatype: 'FP16', shape: ['1'] },
        ],
        outputs: [{ name: 'out' }],
        raw_input_contents: [IDS, HALF],
      },
      SIGNATURE,
    );
    expect(request).toMatchObject({ id: 'r1', outputs: ['out'] });
    expect(request.inputs).toEqual([
      { name: 'ids', datatype: 'INT64', shape: [3], data: IDS },
      { name: 'scale', datatype: 'FP16', shape: [1], data: HALF },
    ]);
  });

  it('takes typed contents, 64-bit integers as decimal strings', () => {
    const request = decodeGrpcInferRequest({ inputs: [{ name: 't', datatype: 'BYTES', shape: ['2'], contents: { bytes_contents: [Buffer.from('a'), Buffer.from([0xff, 0])] } }] }, TEXT_SIGNATURE);
    expect(request.inputs[0].data).toEqual(Buffer.from([1, 0, 0, 0, 0x61, 2, 0, 0, 0, 0xff, 0]));
    const ints = decodeGrpcInferRequest(
      { inputs: [{ name: 'ids', datatype: 'INT64', shape: ['3'], contents: { int64_contents: ['1', '-2', String(2n ** 62n)] } }], raw_input_contents: [] },
      { ...SIGNATURE, inputs: [SIGNATURE.inputs[0]] },
    );
    expect(ints.inputs[0].data).toEqual(IDS);
  });

  it('carries NaN and infinities in typed float contents', () => {
    const floats: ModelSignature = { inputs: [{ name: 'f', datatype: 'FP32', shape: [3] }], outputs: [] };
    const request = decodeGrpcInferRequest({ inputs: [{ name: 'f', datatype: 'FP32', shape: ['3'], contents: { fp32_contents: [NaN, -Infinity, 1.5] } }] }, floats);
    expect(Array.from(new Float32Array(request.inputs[0].data.buffer, request.inputs[0].data.byteOffset, 3))).toEqual([NaN, -Infinity, 1.5]);
    expectStatus(() => decodeGrpcInferRequest({ inputs: [{ name: 'f', datatype: 'FP32', shape: ['3'], contents: { fp32_contents: [1] } }] }, floats), 400, /fp32_contents has 1 elements/);
  });

  it.each([
    [
      'raw contents for only some inputs',
      {
        inputs: [
          { name: 'ids', datatype: 'INT64', shape: ['3'] },
          { name: 'scale', datatype: 'FP16', shape: ['1'] },
        ],
        raw_input_contents: [IDS],
      },
      /raw_input_contents has 1 entries for 2 inputs/,
    ],
    [
      'raw bytes that do not fit the shape',
      {
        inputs: [
          { name: 'ids', datatype: 'INT64', shape: ['2'] },
          { name: 'scale', datatype: 'FP16', shape: ['1'] },
        ],
        raw_input_contents: [IDS, HALF],
      },
      /input 'ids': 24 bytes of INT64 data, shape \[2\] needs 16/,
    ],
    [
      'FP16 in typed contents',
      {
        inputs: [
          { name: 'ids', datatype: 'INT64', shape: ['1'], contents: { int64_contents: ['1'] } },
          { name: 'scale', datatype: 'FP16', shape: ['1'], contents: {} },
        ],
      },
      /FP16 has no typed contents field/,
    ],
    ['too few typed elements', { inputs: [{ name: 'ids', datatype: 'INT64', shape: ['2'], contents: { int64_contents: ['1'] } }] }, /input 'ids': int64_contents has 1 elements, shape \[2\] needs 2/],
    ['a wrong datatype', { inputs: [{ name: 'ids', datatype: 'INT32', shape: ['1'] }], raw_input_contents: [IDS] }, /expected datatype INT64, got INT32/],
    ['a negative dimension', { inputs: [{ name: 'ids', datatype: 'INT64', shape: ['-3'] }], raw_input_contents: [IDS] }, /'shape' must be an array of non-negative integers/],
    ['a missing input', { inputs: [{ name: 'ids', datatype: 'INT64', shape: ['3'] }], raw_input_contents: [IDS] }, /input 'scale' is required/],
    [
      'an unknown output',
      {
        inputs: [
          { name: 'ids', datatype: 'INT64', shape: ['3'] },
          { name: 'scale', datatype: 'FP16', shape: ['1'] },
        ],
        raw_input_contents: [IDS, HALF],
        outputs: [{ name: 'nope' }],
      },
      /requested output 'nope' is not an output/,
    ],
  ])('refuses %s with 400', (_what, message, error) => {
    expectStatus(() => decodeGrpcInferRequest(message, SIGNATURE), 400, error);
  });
});

describe(decodeGrpcParameters.name, () => {
  it('unwraps each oneof, 64-bit integers as numbers when they are safe', () => {
    expect(
      decodeGrpcParameters({
        a: { parameter_choice: 'bool_param', bool_param: true },
        b: { parameter_choice: 'int64_param', int64_param: '42' },
        c: { parameter_choice: 'uint64_param', uint64_param: '18446744073709551615' },
        d: { parameter_choice: 'string_param', string_param: 'x' },
        e: { parameter_choice: 'double_param', double_param: 0.5 },
      }),
    ).toEqual({ a: true, b: 42, c: '18446744073709551615', d: 'x', e: 0.5 });
    expect(decodeGrpcParameters({})).toBeUndefined();
  });
});

describe(encodeGrpcInferResponse.name, () => {
  it('answers every output in raw_output_contents', () => {
    const data = Buffer.from(Float32Array.of(1, 2).buffer);
    expect(encodeGrpcInferResponse({ modelName: 'm', modelVersion: '3', id: 'q', outputs: [{ name: 'out', datatype: 'FP32', shape: [2], data }] })).toEqual({
      model_name: 'm',
      model_version: '3',
      id: 'q',
      parameters: {},
      outputs: [{ name: 'out', datatype: 'FP32', shape: [2], parameters: {} }],
      raw_output_contents: [data],
    });
  });
});
