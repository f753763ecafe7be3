import { INFERENCE_HEADER_CONTENT_LENGTH, decodeBinaryInferResponse, encodeBinaryInferRequest } from './triton-binary';

describe('encodeBinaryInferRequest', () => {
  it('writes the JSON header with binary_data_size, then the tensors\' bytes in order', () => {
    const a = Buffer.from(new Float32Array([1, 2]).buffer);
    const b = Buffer.from([1, 0, 1]);
    const { body, headers } = encodeBinaryInferRequest({
      id: 'r1',
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [1, 2], data: a },
        { name: 'b', datatype: 'BOOL', shape: [3], data: b },
      ],
      binaryOutputs: true,
    });
    const jsonLength = Number(headers[INFERENCE_HEADER_CONTENT_LENGTH]);
    expect(JSON.parse(body.subarray(0, jsonLength).toString())).toEqual({
      id: 'r1',
      inputs: [
        { name: 'a', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 8 } },
        { name: 'b', shape: [3], datatype: 'BOOL', parameters: { binary_data_size: 3 } },
      ],
      parameters: { binary_data_output: true },
    });
    expect(body.subarray(jsonLength)).toEqual(Buffer.concat([a, b]));
    expect(headers['content-type']).toBe('application/octet-stream');
  });

  it('asks for named outputs with their binary_data flag', () => {
    const { body, headers } = encodeBinaryInferRequest({
      inputs: [{ name: 'a', datatype: 'INT32', shape: [1], data: Buffer.alloc(4) }],
      outputs: ['y'],
      binaryOutputs: true,
    });
    const header = JSON.parse(body.subarray(0, Number(headers[INFERENCE_HEADER_CONTENT_LENGTH])).toString());
    expect(header.outputs).toEqual([{ name: 'y', parameters: { binary_data: true } }]);
  });
});

describe('decodeBinaryInferResponse', () => {
  it('reads binary outputs after the JSON part and keeps JSON outputs as they are', () => {
    const json = Buffer.from(
      JSON.stringify({
        model_name: 'm',
        outputs: [
          { name: 'p', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: 8 } },
          { name: 'j', datatype: 'INT32', shape: [1], data: [7] },
        ],
      }),
    );
    const bytes = Buffer.from(new Float32Array([0.25, 0.75]).buffer);
    const { outputs } = decodeBinaryInferResponse(Buffer.concat([json, bytes]), json.length);
    expect(outputs[0]).toMatchObject({ name: 'p', shape: [1, 2] });
    expect((outputs[0] as { data: Buffer }).data).toEqual(bytes);
    expect(outputs[1]).toMatchObject({ name: 'j', data: [7] });
  });

  it('refuses bytes that no output claims', () => {
    const json = Buffer.from(JSON.stringify({ outputs: [] }));
    expect(() => decodeBinaryInferResponse(Buffer.concat([json, Buffer.alloc(2)]), json.length)).toThrow(RangeError);
  });
});
