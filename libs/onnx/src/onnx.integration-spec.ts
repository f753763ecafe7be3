import type { OipDatatype, TensorPayload } from '@falaj/contracts';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { InferenceSession } from 'onnxruntime-node';
import { InvalidModelError } from './invalid-model.error';
import { inspectOnnxModel } from './inspect-onnx-model';
import { fromOrtTensor, toOrtTensor } from './ort-tensor.converter';
import { readModelSignature } from './read-model-signature';

const MODELS = join(__dirname, '..', '..', '..', 'models');
const TINY_MLP = join(MODELS, 'tiny-mlp.onnx');
const NOT_A_MODEL = join(MODELS, 'not-a-model.onnx');

const TINY_MLP_SIGNATURE = {
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
};

describe('tiny-mlp.onnx through onnxruntime-node', () => {
  let session: InferenceSession;
  beforeAll(async () => {
    session = await InferenceSession.create(TINY_MLP, { executionProviders: ['cpu'] });
  });
  afterAll(() => session.release());

  describe(readModelSignature.name, () => {
    it('reads the dynamic batch dimension as -1', () => {
      expect(readModelSignature(session)).toEqual(TINY_MLP_SIGNATURE);
    });
  });

  describe('run', () => {
    it('returns one probability row per input row, each summing to 1', async () => {
      const features = new Float32Array([0.5, -1, 2, 0.25, -3, 1.5, 0, 4]);
      // A pooled Buffer slice at a non-zero offset, as a request body yields it.
      const data = Buffer.concat([Buffer.alloc(8), Buffer.from(features.buffer)]).subarray(8);
      const input: TensorPayload = { name: 'input', datatype: 'FP32', shape: [2, 4], data };

      const results = await session.run({ input: toOrtTensor(input) });
      const output = fromOrtTensor('probabilities', results.probabilities);

      expect(output.datatype).toBe('FP32');
      expect(output.shape).toEqual([2, 3]);
      const probabilities = new Float32Array(output.data.buffer, output.data.byteOffset, 6);
      for (const row of [0, 1]) {
        const values = Array.from(probabilities.subarray(row * 3, row * 3 + 3));
        values.forEach((p) => expect(p).toBeGreaterThan(0));
        expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
      // Different inputs give different distributions: the weights are not degenerate.
      expect(probabilities[0]).not.toBeCloseTo(probabilities[3], 3);
    });
  });
});

describe(inspectOnnxModel.name, () => {
  it('returns the signature, opset and producer of a valid model', async () => {
    await expect(inspectOnnxModel(TINY_MLP)).resolves.toEqual({
      signature: TINY_MLP_SIGNATURE,
      opset: 17,
      producer: 'falaj-model-generator',
    });
  });

  it('rejects a file that is not a model with InvalidModelError carrying ORT’s message', async () => {
    const attempt = inspectOnnxModel(NOT_A_MODEL);
    await expect(attempt).rejects.toThrow(InvalidModelError);
    await expect(attempt).rejects.toThrow(/Protobuf parsing failed/);
  });

  it('rejects a missing file with InvalidModelError', async () => {
    await expect(inspectOnnxModel(join(MODELS, 'does-not-exist.onnx'))).rejects.toThrow(InvalidModelError);
  });
});

/** A one-node Identity model for one element type, built in memory. */
function identityModel(elemType: onnx.TensorProto.DataType): Uint8Array {
  const valueInfo = (name: string) => ({
    name,
    type: { tensorType: { elemType, shape: { dim: [{ dimParam: 'n' }] } } },
  });
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'identity',
        node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
        input: [valueInfo('x')],
        output: [valueInfo('y')],
      },
    }),
  ).finish();
}

const T = onnx.TensorProto.DataType;
const IDENTITY_CASES: Array<{ datatype: OipDatatype; elemType: onnx.TensorProto.DataType; bytes: number[] }> = [
  { datatype: 'BOOL', elemType: T.BOOL, bytes: [1, 0, 1] },
  { datatype: 'UINT8', elemType: T.UINT8, bytes: [0, 128, 255] },
  { datatype: 'UINT16', elemType: T.UINT16, bytes: [1, 0, 0, 128, 255, 255] },
  { datatype: 'UINT32', elemType: T.UINT32, bytes: [1, 0, 0, 0, 0, 0, 0, 128, 255, 255, 255, 255] },
  { datatype: 'UINT64', elemType: T.UINT64, bytes: [...Array(8).fill(255), 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 128] },
  { datatype: 'INT8', elemType: T.INT8, bytes: [0x80, 0xff, 0x7f] },
  { datatype: 'INT16', elemType: T.INT16, bytes: [0, 0x80, 0xff, 0xff, 0xff, 0x7f] },
  { datatype: 'INT32', elemType: T.INT32, bytes: [0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0] },
  { datatype: 'INT64', elemType: T.INT64, bytes: [...Array(8).fill(255), 0, 0, 0, 0, 0, 0, 0, 0x80, 2, 0, 0, 0, 0, 0, 0, 0] },
  { datatype: 'FP16', elemType: T.FLOAT16, bytes: [0x00, 0x3c, 0x01, 0x00, 0x00, 0x7c] },
  { datatype: 'FP32', elemType: T.FLOAT, bytes: [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0x80, 0x7f] },
  { datatype: 'FP64', elemType: T.DOUBLE, bytes: [...Array(7).fill(0), 0x3f, ...Array(7).fill(0), 0xc0, 1, ...Array(7).fill(0)] },
];

describe('every datatype through a real ORT Identity session', () => {
  it.each(IDENTITY_CASES)('returns $datatype bytes unchanged, from an unaligned payload', async ({ datatype, elemType, bytes }) => {
    const session = await InferenceSession.create(identityModel(elemType));
    try {
      const data = Buffer.concat([Buffer.alloc(1), Buffer.from(bytes)]).subarray(1);
      const results = await session.run({ x: toOrtTensor({ name: 'x', datatype, shape: [3], data }) });
      const y = fromOrtTensor('y', results.y);
      expect(y).toEqual({ name: 'y', datatype, shape: [3], data: Buffer.from(bytes) });
    } finally {
      await session.release();
    }
  });

  it('returns BYTES (ORT strings) unchanged, including empty and multi-byte UTF-8', async () => {
    const session = await InferenceSession.create(identityModel(T.STRING));
    try {
      const strings = ['', 'çà', '🙂'];
      const data = Buffer.concat(strings.flatMap((s) => [Buffer.from(new Uint32Array([Buffer.byteLength(s)]).buffer), Buffer.from(s)]));
      const results = await session.run({ x: toOrtTensor({ name: 'x', datatype: 'BYTES', shape: [3], data }) });
      expect(fromOrtTensor('y', results.y)).toEqual({ name: 'y', datatype: 'BYTES', shape: [3], data });
    } finally {
      await session.release();
    }
  });
});
