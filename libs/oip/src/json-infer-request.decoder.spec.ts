import type { ModelSignature, OipDatatype } from '@falaj/contracts';
import { decodeJsonInferRequest } from './json-infer-request.decoder';
import { OipError } from './oip.error';

const MLP: ModelSignature = {
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
};

const TWO_INPUTS: ModelSignature = {
  inputs: [
    { name: 'ids', datatype: 'INT64', shape: [-1] },
    { name: 'mask', datatype: 'BOOL', shape: [-1] },
  ],
  outputs: [
    { name: 'logits', datatype: 'FP32', shape: [-1, 2] },
    { name: 'hidden', datatype: 'FP32', shape: [-1, 8] },
  ],
};

const oneInput = (datatype: OipDatatype, shape: number[] = [-1]): ModelSignature => ({
  inputs: [{ name: 'x', datatype, shape }],
  outputs: [{ name: 'y', datatype, shape }],
});

const bytesOf = (values: ArrayBufferView): Buffer => Buffer.from(values.buffer, values.byteOffset, values.byteLength);

const bytesElements = (strings: string[]): Buffer =>
  Buffer.concat(
    strings.flatMap((s) => {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(Buffer.byteLength(s));
      return [length, Buffer.from(s)];
    }),
  );

/** Asserts the call throws an OipError with status 400 and exactly this message. */
function expectBadRequest(call: () => unknown, message: string): void {
  let caught: unknown;
  try {
    call();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(OipError);
  expect(caught).toMatchObject({ status: 400, message });
}

const mlpRequest = (input: Record<string, unknown>): unknown => ({
  inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8], ...input }],
});

describe(decodeJsonInferRequest.name, () => {
  describe('inputs', () => {
    const CASES: Array<{ datatype: OipDatatype; data: unknown[]; expected: Buffer }> = [
      { datatype: 'BOOL', data: [true, false, false, true], expected: Buffer.from([1, 0, 0, 1]) },
      { datatype: 'UINT8', data: [0, 1, 254, 255], expected: Buffer.from([0, 1, 254, 255]) },
      { datatype: 'UINT16', data: [0, 1, 65534, 65535], expected: bytesOf(new Uint16Array([0, 1, 65534, 65535])) },
      { datatype: 'UINT32', data: [0, 1, 2 ** 32 - 2, 2 ** 32 - 1], expected: bytesOf(new Uint32Array([0, 1, 2 ** 32 - 2, 2 ** 32 - 1])) },
      {
        datatype: 'UINT64',
        data: [0, Number.MAX_SAFE_INTEGER, '9007199254740993', '18446744073709551615'],
        expected: bytesOf(new BigUint64Array([0n, 2n ** 53n - 1n, 2n ** 53n + 1n, 2n ** 64n - 1n])),
      },
      { datatype: 'INT8', data: [-128, -1, 0, 127], expected: bytesOf(new Int8Array([-128, -1, 0, 127])) },
      { datatype: 'INT16', data: [-32768, -1, 0, 32767], expected: bytesOf(new Int16Array([-32768, -1, 0, 32767])) },
      { datatype: 'INT32', data: [-(2 ** 31), -1, 0, 2 ** 31 - 1], expected: bytesOf(new Int32Array([-(2 ** 31), -1, 0, 2 ** 31 - 1])) },
      {
        datatype: 'INT64',
        data: [Number.MIN_SAFE_INTEGER, -1, '-9223372036854775808', '9223372036854775807'],
        expected: bytesOf(new BigInt64Array([-(2n ** 53n) + 1n, -1n, -(2n ** 63n), 2n ** 63n - 1n])),
      },
      { datatype: 'FP16', data: [1, -2, 65504, 2 ** -24], expected: bytesOf(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001])) },
      { datatype: 'FP32', data: [0.1, -1.5, 3.4e38, 0], expected: bytesOf(new Float32Array([0.1, -1.5, 3.4e38, 0])) },
      { datatype: 'FP64', data: [0.1, -1.5, 1e308, 5e-324], expected: bytesOf(new Float64Array([0.1, -1.5, 1e308, 5e-324])) },
      { datatype: 'BYTES', data: ['', 'a', 'héllo', '🙂'], expected: bytesElements(['', 'a', 'héllo', '🙂']) },
    ];

    it.each(CASES)('encodes $datatype JSON values into the binary layout', ({ datatype, data, expected }) => {
      const request = decodeJsonInferRequest({ inputs: [{ name: 'x', datatype, shape: [4], data }] }, oneInput(datatype));
      expect(request.inputs).toEqual([{ name: 'x', datatype, shape: [4], data: expected }]);
    });

    it('accepts nested data that follows the shape, in row-major order', () => {
      const nested = decodeJsonInferRequest(
        mlpRequest({
          data: [
            [1, 2, 3, 4],
            [5, 6, 7, 8],
          ],
        }),
        MLP,
      );
      expect(nested.inputs[0].data).toEqual(bytesOf(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8])));
    });

    it('accepts data nested three deep for a rank-3 shape', () => {
      const signature = oneInput('INT32', [2, 2, 2]);
      const data = [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ];
      const request = decodeJsonInferRequest({ inputs: [{ name: 'x', datatype: 'INT32', shape: [2, 2, 2], data }] }, signature);
      expect(request.inputs[0].data).toEqual(bytesOf(new Int32Array([1, 2, 3, 4, 5, 6, 7, 8])));
    });

    it('accepts a scalar (shape []) with one element', () => {
      const request = decodeJsonInferRequest({ inputs: [{ name: 'x', datatype: 'FP64', shape: [], data: [2.5] }] }, oneInput('FP64', []));
      expect(request.inputs[0]).toEqual({ name: 'x', datatype: 'FP64', shape: [], data: bytesOf(new Float64Array([2.5])) });
    });

    it('accepts an empty batch', () => {
      const request = decodeJsonInferRequest(mlpRequest({ shape: [0, 4], data: [] }), MLP);
      expect(request.inputs[0].data.length).toBe(0);
    });

    it('writes FP32 into an aligned buffer of its own', () => {
      const { data } = decodeJsonInferRequest(mlpRequest({}), MLP).inputs[0];
      expect(data.length).toBe(32);
      expect(data.byteOffset % 4).toBe(0);
      expect(data.buffer.byteLength).toBe(32); // not a slice of Node's shared pool
    });
  });

  describe('request fields', () => {
    it('returns the id, the parameters and the requested output names', () => {
      const body = {
        id: 'req-1',
        parameters: { priority: 2 },
        inputs: [
          { name: 'mask', datatype: 'BOOL', shape: [2], data: [true, false] },
          { name: 'ids', datatype: 'INT64', shape: [2], data: [7, '8'] },
        ],
        outputs: [{ name: 'hidden', parameters: { binary_data: false } }],
      };
      const request = decodeJsonInferRequest(body, TWO_INPUTS);
      expect(request.id).toBe('req-1');
      expect(request.parameters).toEqual({ priority: 2 });
      expect(request.outputs).toEqual(['hidden']);
      expect(request.inputs.map((input) => input.name)).toEqual(['mask', 'ids']);
    });

    it('asks for all outputs ([]) and leaves id and parameters out when the request has none', () => {
      const request = decodeJsonInferRequest(mlpRequest({}), MLP);
      expect(request.outputs).toEqual([]);
      expect(request).not.toHaveProperty('id');
      expect(request).not.toHaveProperty('parameters');
    });
  });

  describe('request structure errors', () => {
    it.each([null, [], 'text', 42])('rejects a body that is not an object (%p)', (body) => {
      expectBadRequest(() => decodeJsonInferRequest(body, MLP), 'the request body must be a JSON object');
    });

    it('rejects a non-string id', () => {
      expectBadRequest(() => decodeJsonInferRequest({ id: 7, inputs: [] }, MLP), "'id' must be a string");
    });

    it('rejects parameters that are not an object', () => {
      expectBadRequest(() => decodeJsonInferRequest({ parameters: [1], inputs: [] }, MLP), "'parameters' must be an object");
    });

    it.each([{}, { inputs: {} }])('rejects a request without an inputs array (%p)', (body) => {
      expectBadRequest(() => decodeJsonInferRequest(body, MLP), "'inputs' must be an array of tensors");
    });

    it('rejects an input that is not an object', () => {
      expectBadRequest(() => decodeJsonInferRequest({ inputs: ['input'] }, MLP), 'inputs[0] must be an object');
    });

    it('rejects an input without a name', () => {
      expectBadRequest(() => decodeJsonInferRequest(mlpRequest({ name: '' }), MLP), "inputs[0]: 'name' must be a non-empty string");
    });

    it('rejects a non-string datatype', () => {
      expectBadRequest(() => decodeJsonInferRequest(mlpRequest({ datatype: 1 }), MLP), "input 'input': 'datatype' must be a string");
    });

    it.each([undefined, [2, -4], [2, 1.5], '2,4'])('rejects a shape that is not non-negative integers (%p)', (shape) => {
      expectBadRequest(() => decodeJsonInferRequest(mlpRequest({ shape }), MLP), "input 'input': 'shape' must be an array of non-negative integers");
    });

    it('rejects a missing data field', () => {
      expectBadRequest(() => decodeJsonInferRequest(mlpRequest({ data: undefined }), MLP), "input 'input': 'data' is required");
    });

    it('rejects data that is not an array', () => {
      expectBadRequest(() => decodeJsonInferRequest(mlpRequest({ data: 'abc' }), MLP), "input 'input': 'data' must be an array");
    });
  });

  describe('signature errors', () => {
    it('rejects an input the model does not have', () => {
      expectBadRequest(() => decodeJsonInferRequest(mlpRequest({ name: 'features' }), MLP), "input 'features' is not an input of the model; it takes 'input'");
    });

    it('rejects a request missing a required input', () => {
      const body = { inputs: [{ name: 'ids', datatype: 'INT64', shape: [1], data: [1] }] };
      expectBadRequest(() => decodeJsonInferRequest(body, TWO_INPUTS), "input 'mask' is required by the model but missing from the request");
    });

    it('rejects an input given twice', () => {
      const input = { name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] };
      expectBadRequest(() => decodeJsonInferRequest({ inputs: [input, input] }, MLP), "input 'input' appears more than once");
    });

    it('rejects a datatype other than the model’s', () => {
      expectBadRequest(() => decodeJsonInferRequest(mlpRequest({ datatype: 'INT64' }), MLP), "input 'input': expected datatype FP32, got INT64");
    });

    it('rejects a fixed dimension that differs from the model’s', () => {
      expectBadRequest(() => decodeJsonInferRequest(mlpRequest({ shape: [2, 5], data: new Array(10).fill(0) }), MLP), "input 'input': shape [2,5] does not match the model's [-1,4]");
    });

    it('rejects a shape of another rank', () => {
      expectBadRequest(() => decodeJsonInferRequest(mlpRequest({ shape: [8] }), MLP), "input 'input': shape [8] does not match the model's [-1,4]");
    });

    it('rejects an unknown requested output', () => {
      expectBadRequest(
        () => decodeJsonInferRequest({ ...(mlpRequest({}) as object), outputs: [{ name: 'logits' }] }, MLP),
        "requested output 'logits' is not an output of the model; it has 'probabilities'",
      );
    });

    it('rejects a requested output without a name', () => {
      expectBadRequest(() => decodeJsonInferRequest({ ...(mlpRequest({}) as object), outputs: [{}] }, MLP), "outputs[0] must be an object with a non-empty 'name'");
    });

    it('rejects outputs that are not an array', () => {
      expectBadRequest(() => decodeJsonInferRequest({ ...(mlpRequest({}) as object), outputs: 'probabilities' }, MLP), "'outputs' must be an array");
    });

    it('rejects an output requested twice', () => {
      const outputs = [{ name: 'probabilities' }, { name: 'probabilities' }];
      expectBadRequest(() => decodeJsonInferRequest({ ...(mlpRequest({}) as object), outputs }, MLP), "requested output 'probabilities' appears more than once");
    });
  });

  describe('data errors', () => {
    it('rejects flat data whose element count is not the shape’s', () => {
      expectBadRequest(() => decodeJsonInferRequest(mlpRequest({ data: [1, 2, 3, 4, 5, 6, 7] }), MLP), "input 'input': data has 7 elements, shape [2,4] needs 8");
    });

    it('rejects nested data with a short row', () => {
      expectBadRequest(
        () =>
          decodeJsonInferRequest(
            mlpRequest({
              data: [
                [1, 2, 3, 4],
                [5, 6, 7],
              ],
            }),
            MLP,
          ),
        "input 'input': nested data does not match shape [2,4]: data[1] has 3 elements, expected 4",
      );
    });

    it('rejects nested data with too many rows', () => {
      expectBadRequest(
        () =>
          decodeJsonInferRequest(
            mlpRequest({
              data: [
                [1, 2, 3, 4],
                [5, 6, 7, 8],
                [9, 10, 11, 12],
              ],
            }),
            MLP,
          ),
        "input 'input': nested data does not match shape [2,4]: data has 3 elements, expected 2",
      );
    });

    it('rejects nested data with a value where a row should be', () => {
      expectBadRequest(() => decodeJsonInferRequest(mlpRequest({ data: [[1, 2, 3, 4], 5] }), MLP), "input 'input': nested data does not match shape [2,4]: data[1] is not an array");
    });

    it('names the flat row-major index of a bad element in nested data', () => {
      expectBadRequest(
        () =>
          decodeJsonInferRequest(
            mlpRequest({
              data: [
                [1, 2, 3, 4],
                [5, 6, 'x', 8],
              ],
            }),
            MLP,
          ),
        'input \'input\': element 6 must be a number for FP32, got string "x"',
      );
    });

    it('rejects an array where a flat element should be', () => {
      const body = { inputs: [{ name: 'x', datatype: 'FP32', shape: [2], data: [1, [2]] }] };
      expectBadRequest(() => decodeJsonInferRequest(body, oneInput('FP32')), "input 'x': element 1 must be a number for FP32, got an array");
    });

    const VALUE_CASES: Array<{ datatype: OipDatatype; value: unknown; problem: string }> = [
      { datatype: 'FP32', value: 'abc', problem: 'must be a number for FP32, got string "abc"' },
      { datatype: 'FP32', value: null, problem: 'must be a number for FP32, got null' },
      { datatype: 'FP32', value: 1e39, problem: '(1e+39) is out of range for FP32: it would overflow to infinity' },
      { datatype: 'FP32', value: Number.NaN, problem: '(NaN) is not a finite number' },
      { datatype: 'FP64', value: Infinity, problem: '(Infinity) is not a finite number' },
      { datatype: 'FP64', value: true, problem: 'must be a number for FP64, got boolean true' },
      { datatype: 'FP16', value: 70000, problem: '(70000) is out of range for FP16: it would overflow to infinity' },
      { datatype: 'FP16', value: '1', problem: 'must be a number for FP16, got string "1"' },
      { datatype: 'UINT8', value: 300, problem: '(300) is out of range for UINT8 [0, 255]' },
      { datatype: 'UINT8', value: -1, problem: '(-1) is out of range for UINT8 [0, 255]' },
      { datatype: 'UINT16', value: 65536, problem: '(65536) is out of range for UINT16 [0, 65535]' },
      { datatype: 'UINT32', value: 2 ** 32, problem: '(4294967296) is out of range for UINT32 [0, 4294967295]' },
      { datatype: 'INT8', value: 128, problem: '(128) is out of range for INT8 [-128, 127]' },
      { datatype: 'INT16', value: -32769, problem: '(-32769) is out of range for INT16 [-32768, 32767]' },
      { datatype: 'INT32', value: 2 ** 31, problem: '(2147483648) is out of range for INT32 [-2147483648, 2147483647]' },
      { datatype: 'INT32', value: 1.5, problem: '(1.5) is not an integer, as INT32 requires' },
      { datatype: 'INT32', value: '7', problem: 'must be a number for INT32, got string "7"' },
      { datatype: 'INT64', value: 1.5, problem: '(1.5) is not an integer, as INT64 requires' },
      {
        datatype: 'INT64',
        value: 2 ** 53 + 2,
        problem: '(9007199254740994) is not a safe integer: send INT64 values beyond ±(2^53-1) as decimal strings',
      },
      { datatype: 'INT64', value: '12a', problem: '("12a") is not a decimal integer string' },
      {
        datatype: 'INT64',
        value: '9223372036854775808',
        problem: '(9223372036854775808) is out of range for INT64 [-9223372036854775808, 9223372036854775807]',
      },
      { datatype: 'INT64', value: false, problem: 'must be an integer or a decimal string for INT64, got boolean false' },
      { datatype: 'UINT64', value: '-1', problem: '(-1) is out of range for UINT64 [0, 18446744073709551615]' },
      { datatype: 'UINT64', value: -1, problem: '(-1) is out of range for UINT64 [0, 18446744073709551615]' },
      { datatype: 'BOOL', value: 1, problem: 'must be a boolean for BOOL, got number 1' },
      { datatype: 'BOOL', value: 'true', problem: 'must be a boolean for BOOL, got string "true"' },
      { datatype: 'BYTES', value: 5, problem: 'must be a string for BYTES, got number 5' },
      { datatype: 'BYTES', value: { a: 1 }, problem: 'must be a string for BYTES, got an object' },
    ];

    it.each(VALUE_CASES)('rejects $value in $datatype, naming the element and the problem', ({ datatype, value, problem }) => {
      const valid = datatype === 'BOOL' ? true : datatype === 'BYTES' ? 'ok' : 1;
      const body = { inputs: [{ name: 'x', datatype, shape: [3], data: [valid, valid, value] }] };
      expectBadRequest(() => decodeJsonInferRequest(body, oneInput(datatype)), `input 'x': element 2 ${problem}`);
    });
  });
});
