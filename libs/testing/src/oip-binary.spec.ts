import type { ModelSignature, TensorPayload } from '@falaj/contracts';
import { decodeJsonInferRequest, encodeHttpInferResponse, splitInferBody, wantsBinaryOutput } from '@falaj/oip';
import { decodeBinaryInferResponse, encodeBinaryInferRequest } from './oip-binary';

const SIGNATURE: ModelSignature = {
  inputs: [
    { name: 'a', datatype: 'FP16', shape: [-1] },
    { name: 'b', datatype: 'BYTES', shape: [-1] },
  ],
  outputs: [
    { name: 'x', datatype: 'INT64', shape: [-1] },
    { name: 'y', datatype: 'BOOL', shape: [-1] },
  ],
};
const A: TensorPayload = { name: 'a', datatype: 'FP16', shape: [2], data: Buffer.from(Uint16Array.of(0x3c00, 0xfc00).buffer) };
const B: TensorPayload = { name: 'b', datatype: 'BYTES', shape: [1], data: Buffer.from([2, 0, 0, 0, 0x68, 0x69]) };
const X: TensorPayload = { name: 'x', datatype: 'INT64', shape: [2], data: Buffer.from(BigInt64Array.of(2n ** 60n, -1n).buffer) };
const Y: TensorPayload = { name: 'y', datatype: 'BOOL', shape: [3], data: Buffer.from([1, 0, 1]) };

describe('the test clients against the server codecs', () => {
  it('encodes a request the server decodes to the same tensors', () => {
    const { body, headers } = encodeBinaryInferRequest({ id: 'r', inputs: [A, B], outputs: [{ name: 'x', binary: true }, { name: 'y' }], binaryDataOutput: false });
    const { header, binary } = splitInferBody(body, headers['inference-header-content-length']);
    const request = decodeJsonInferRequest(header, SIGNATURE, binary);
    expect(request.id).toBe('r');
    expect(request.inputs).toEqual([A, B]);
    expect(request.outputs).toEqual(['x', 'y']);
    expect(wantsBinaryOutput(request, 'x')).toBe(true);
    expect(wantsBinaryOutput(request, 'y')).toBe(false);
  });

  it('decodes binary and JSON outputs of a server response to the same bytes', () => {
    const response = encodeHttpInferResponse({ modelName: 'm', modelVersion: '1', outputs: [X, Y] }, (name) => name === 'x');
    const decoded = decodeBinaryInferResponse(response.body, String(response.headerLength));
    expect(decoded.binary).toEqual(['x']);
    expect(decoded.outputs).toEqual([X, Y]);
  });
});
