import type { InferenceSession } from 'onnxruntime-node';
import { InvalidModelError } from './invalid-model.error';
import { readModelSignature } from './read-model-signature';

/** Only the metadata readModelSignature reads; a real session needs a model file. */
const sessionWith = (inputMetadata: InferenceSession.ValueMetadata[], outputMetadata: InferenceSession.ValueMetadata[] = []): InferenceSession =>
  ({ inputMetadata, outputMetadata }) as unknown as InferenceSession;

describe(readModelSignature.name, () => {
  it('maps every ORT element type to its OIP datatype', () => {
    const types = ['bool', 'uint8', 'uint16', 'uint32', 'uint64', 'int8', 'int16', 'int32', 'int64', 'float16', 'float32', 'float64', 'string'] as const;
    const session = sessionWith(types.map((type) => ({ name: type, isTensor: true, type, shape: [1] })));
    expect(readModelSignature(session).inputs.map((spec) => spec.datatype)).toEqual([
      'BOOL',
      'UINT8',
      'UINT16',
      'UINT32',
      'UINT64',
      'INT8',
      'INT16',
      'INT32',
      'INT64',
      'FP16',
      'FP32',
      'FP64',
      'BYTES',
    ]);
  });

  it('turns symbolic and unnamed unknown dimensions into -1 and keeps fixed ones', () => {
    const session = sessionWith([{ name: 'in', isTensor: true, type: 'float32', shape: ['batch', 3, '', 0] }], [{ name: 'out', isTensor: true, type: 'int64', shape: [] }]);
    expect(readModelSignature(session)).toEqual({
      inputs: [{ name: 'in', datatype: 'FP32', shape: [-1, 3, -1, 0] }],
      outputs: [{ name: 'out', datatype: 'INT64', shape: [] }],
    });
  });

  it('rejects a non-tensor input, naming it', () => {
    const session = sessionWith([{ name: 'history', isTensor: false }]);
    expect(() => readModelSignature(session)).toThrow(InvalidModelError);
    expect(() => readModelSignature(session)).toThrow("input 'history' is not a tensor");
  });

  it('rejects a non-tensor output, naming it', () => {
    const session = sessionWith([], [{ name: 'scores', isTensor: false }]);
    expect(() => readModelSignature(session)).toThrow("output 'scores' is not a tensor");
  });

  it('rejects element types OIP cannot carry', () => {
    const session = sessionWith([{ name: 'packed', isTensor: true, type: 'int4', shape: [8] }]);
    expect(() => readModelSignature(session)).toThrow("input 'packed' has element type int4, which OIP has no datatype for");
  });
});
