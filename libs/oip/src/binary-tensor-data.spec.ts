import type { ModelSignature } from '@falaj/contracts';
import { encodeHttpInferResponse } from './binary-infer-response.encoder';
import { splitInferBody } from './binary-tensor-data';
import { decodeJsonInferRequest, wantsBinaryOutput } from './json-infer-request.decoder';
import { OipError } from './oip.error';

const SIGNATURE: ModelSignature = {
  inputs: [
    { name: 'input0', datatype: 'UINT32', shape: [2, 2] },
    { name: 'input1', datatype: 'BOOL', shape: [-1] },
    { name: 'text', datatype: 'BYTES', shape: [-1] },
  ],
  outputs: [
    { name: 'output0', datatype: 'FP32', shape: [3, 2] },
    { name: 'output1', datatype: 'BYTES', shape: [-1] },
  ],
};

const framed = (...strings: string[]) => Buffer.concat(strings.flatMap((s) => [Buffer.from(Uint32Array.of(Buffer.byteLength(s)).buffer), Buffer.from(s)]));

/** A body as Triton's documentation shows it: the JSON header, then each input's bytes in order. */
function body(header: unknown, ...binary: Buffer[]): { body: Buffer; length: string } {
  const json = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([json, ...binary]), length: String(json.length) };
}

const header = (sizes: [number, number, number], extra: Record<string, unknown> = {}) => ({
  inputs: [
    { name: 'input0', shape: [2, 2], datatype: 'UINT32', parameters: { binary_data_size: sizes[0] } },
    { name: 'input1', shape: [3], datatype: 'BOOL', parameters: { binary_data_size: sizes[1] } },
    { name: 'text', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: sizes[2] } },
  ],
  ...extra,
});

const U32 = Buffer.from(Uint32Array.of(1, 2, 3, 0xffffffff).buffer);
const BOOLS = Buffer.from([1, 0, 1]);
const TEXT = framed('héllo', '');

function decode(request: { body: Buffer; length?: string }) {
  const { header: parsed, binary } = splitInferBody(request.body, request.length);
  return decodeJsonInferRequest(parsed, SIGNATURE, binary);
}

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

describe('binary tensor data extension', () => {
  describe('requests', () => {
    it('takes each input its binary_data_size bytes, in input order, as they are', () => {
      const request = decode(body(header([16, 3, TEXT.length]), U32, BOOLS, TEXT));
      expect(request.inputs.map((t) => [t.name, t.shape, t.data])).toEqual([
        ['input0', [2, 2], U32],
        ['input1', [3], BOOLS],
        ['text', [2], TEXT],
      ]);
    });

    it('mixes binary and JSON inputs', () => {
      const mixed = header([16, 3, 0]);
      (mixed.inputs[2] as Record<string, unknown>).parameters = undefined;
      (mixed.inputs[2] as Record<string, unknown>).data = ['héllo', ''];
      const request = decode(body(mixed, U32, BOOLS));
      expect(request.inputs[2].data).toEqual(TEXT);
    });

    it('reads the whole body as JSON without Inference-Header-Content-Length', () => {
      const json = Buffer.from(JSON.stringify({ inputs: [] }));
      expect(splitInferBody(json, undefined)).toEqual({ header: { inputs: [] } });
    });

    it.each([
      ['a size that does not fit the shape', header([12, 3, TEXT.length]), [U32.subarray(0, 12), BOOLS, TEXT], /input 'input0': 12 bytes of UINT32 data, shape \[2,2\] needs 16/],
      ['a size past the end of the body', header([16, 3, 99]), [U32, BOOLS, TEXT], /input 'text': binary_data_size 99 runs past the 14 bytes left/],
      ['bytes that no input claims', header([16, 3, TEXT.length]), [U32, BOOLS, TEXT, Buffer.from([7])], /1 bytes of binary data that no input's binary_data_size claims/],
      ['broken BYTES framing', header([16, 3, 8]), [U32, BOOLS, Buffer.from([9, 0, 0, 0, 65, 66, 67, 68])], /input 'text': BYTES element 0 runs past the data/],
      ['fewer BYTES than the elements need', header([16, 3, 6]), [U32, BOOLS, Buffer.from([9, 0, 0, 0, 65, 66])], /input 'text': 6 bytes of BYTES data cannot hold the 2 elements/],
      ['a negative size', header([-1, 3, 0]), [], /'binary_data_size' must be a non-negative integer/],
    ])('refuses %s with 400', (_what, parsed, binary, message) => {
      expectBadRequest(() => decode(body(parsed, ...(binary as Buffer[]))), message);
    });

    it('refuses data and binary_data_size together, and binary_data_size without the header', () => {
      const both = header([16, 3, TEXT.length]);
      (both.inputs[0] as Record<string, unknown>).data = [1, 2, 3, 4];
      expectBadRequest(() => decode(body(both, U32, BOOLS, TEXT)), /either 'data' or a 'binary_data_size'/);
      const parsed = header([16, 3, TEXT.length]);
      expectBadRequest(() => decodeJsonInferRequest(parsed, SIGNATURE), /no Inference-Header-Content-Length header/);
    });

    it.each([['-1'], ['abc'], ['999999']])('refuses Inference-Header-Content-Length %s', (length) => {
      expectBadRequest(() => splitInferBody(Buffer.from('{}'), length), /Inference-Header-Content-Length must be an integer/);
    });

    it('refuses a header that is not JSON', () => {
      expectBadRequest(() => splitInferBody(Buffer.from('{"inp'), '5'), /the inference header is not valid JSON/);
    });

    it("lets an output's binary_data override the request's binary_data_output", () => {
      const request = decode(
        body(header([16, 3, TEXT.length], { parameters: { binary_data_output: true }, outputs: [{ name: 'output0', parameters: { binary_data: false } }, { name: 'output1' }] }), U32, BOOLS, TEXT),
      );
      expect(request.outputs).toEqual(['output0', 'output1']);
      expect(wantsBinaryOutput(request, 'output0')).toBe(false);
      expect(wantsBinaryOutput(request, 'output1')).toBe(true);
      expect(wantsBinaryOutput(decode(body(header([16, 3, TEXT.length]), U32, BOOLS, TEXT)), 'output0')).toBe(false);
    });

    it('refuses a binary_data or binary_data_output that is not a boolean', () => {
      expectBadRequest(() => decode(body(header([16, 3, TEXT.length], { parameters: { binary_data_output: 'yes' } }), U32, BOOLS, TEXT)), /'binary_data_output' must be a boolean/);
      expectBadRequest(
        () => decode(body(header([16, 3, TEXT.length], { outputs: [{ name: 'output0', parameters: { binary_data: 1 } }] }), U32, BOOLS, TEXT)),
        /requested output 'output0': 'binary_data' must be a boolean/,
      );
    });
  });

  describe('responses', () => {
    const outputs = [
      { name: 'output0', datatype: 'FP32' as const, shape: [3, 2], data: Buffer.from(Float32Array.of(1, 2, 3, 4, 5, 6.5).buffer) },
      { name: 'output1', datatype: 'BYTES' as const, shape: [1], data: framed('ok') },
    ];

    it('puts binary outputs after the header with their binary_data_size, and the rest as JSON', () => {
      const response = encodeHttpInferResponse({ modelName: 'm', modelVersion: '2', id: 'x', outputs }, (name) => name === 'output0');
      expect(response.headerLength).toBeGreaterThan(0);
      const header = JSON.parse(response.body.subarray(0, response.headerLength).toString());
      expect(header).toEqual({
        model_name: 'm',
        model_version: '2',
        id: 'x',
        outputs: [
          { name: 'output0', datatype: 'FP32', shape: [3, 2], parameters: { binary_data_size: 24 } },
          { name: 'output1', datatype: 'BYTES', shape: [1], data: ['ok'] },
        ],
      });
      expect(response.body.subarray(response.headerLength)).toEqual(outputs[0].data);
    });

    it('is plain JSON when no output is binary', () => {
      const response = encodeHttpInferResponse({ modelName: 'm', modelVersion: '1', outputs }, () => false);
      expect(response.headerLength).toBeUndefined();
      expect(JSON.parse(response.body.toString()).outputs[0].data).toEqual([1, 2, 3, 4, 5, 6.5]);
    });

    it('keeps binary outputs in output order', () => {
      const response = encodeHttpInferResponse({ modelName: 'm', modelVersion: '1', outputs }, () => true);
      expect(response.body.subarray(response.headerLength)).toEqual(Buffer.concat([outputs[0].data, outputs[1].data]));
    });
  });
});
