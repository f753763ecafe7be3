import type { ModelSignature } from '@falaj/contracts';
import { signatureMismatches } from './mlflow-signature.policy';
import type { DeclaredTensors } from './mlmodel.parser';

/** tiny-mlp.onnx's signature, as onnxruntime reads it. */
const MLP: ModelSignature = {
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
};
const tensors = (...specs: DeclaredTensors['specs']): DeclaredTensors => ({ kind: 'tensor', specs });
const columns = (...specs: DeclaredTensors['specs']): DeclaredTensors => ({ kind: 'columns', specs });

describe('signatureMismatches', () => {
  it('accepts the same tensors, by name or by position, with variable dimensions either side', () => {
    expect(signatureMismatches({ inputs: tensors({ name: 'input', datatype: 'FP32', shape: [-1, 4] }), outputs: tensors({ datatype: 'FP32', shape: [5, -1] }) }, MLP)).toEqual([]);
    expect(signatureMismatches({ inputs: null, outputs: null }, MLP)).toEqual([]);
  });

  it('names the tensor whose datatype, shape, name or count differs', () => {
    expect(signatureMismatches({ inputs: tensors({ name: 'input', datatype: 'FP64', shape: [-1, 4] }), outputs: null }, MLP)).toEqual(["input 'input' is FP32, declared FP64"]);
    expect(signatureMismatches({ inputs: tensors({ name: 'input', datatype: 'FP32', shape: [-1, 5] }), outputs: null }, MLP)).toEqual(["input 'input' has shape [-1,4], declared [-1,5]"]);
    expect(signatureMismatches({ inputs: tensors({ name: 'input', datatype: 'FP32', shape: [4] }), outputs: null }, MLP)).toEqual(["input 'input' has shape [-1,4], declared [4]"]);
    expect(signatureMismatches({ inputs: tensors({ name: 'x', datatype: 'FP32', shape: [-1, 4] }), outputs: null }, MLP)).toEqual(["input 'x' is not one of the model's (input)"]);
    expect(signatureMismatches({ inputs: null, outputs: tensors({ datatype: 'FP32', shape: [-1, 3] }, { datatype: 'INT64', shape: [-1] }) }, MLP)).toEqual([
      '2 output(s) declared, the model has 1 (probabilities)',
    ]);
  });

  it("accepts a DataFrame of the input's type fed to a one-input model, columns counted or variable", () => {
    const four = columns(...['a', 'b', 'c', 'd'].map((name) => ({ name, datatype: 'FP32' as const, shape: [-1] })));
    expect(signatureMismatches({ inputs: four, outputs: null }, MLP)).toEqual([]);
    expect(signatureMismatches({ inputs: columns({ datatype: 'FP32', shape: [-1] }), outputs: null }, { ...MLP, inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, -1] }] })).toEqual([]);
    expect(signatureMismatches({ inputs: columns({ name: 'a', datatype: 'FP64', shape: [-1] }), outputs: null }, MLP)[0]).toMatch(/1 column\(s\) of FP64 declared as inputs, which fit neither/);
    expect(signatureMismatches({ inputs: columns({ name: 'a', datatype: 'FP32', shape: [-1] }), outputs: null }, MLP)[0]).toContain('input FP32 [-1,4]');
  });

  it('accepts one input per named column of its type, one value per row', () => {
    const model: ModelSignature = {
      inputs: [
        { name: 'age', datatype: 'INT64', shape: [-1, 1] },
        { name: 'city', datatype: 'BYTES', shape: [-1] },
      ],
      outputs: [],
    };
    const declared = (age: 'INT64' | 'INT32') => columns({ name: 'city', datatype: 'BYTES', shape: [-1] }, { name: 'age', datatype: age, shape: [-1] });
    expect(signatureMismatches({ inputs: declared('INT64'), outputs: null }, model)).toEqual([]);
    expect(signatureMismatches({ inputs: declared('INT32'), outputs: null }, model)).toEqual(["input 'age' is INT64, its column is declared INT32"]);
    expect(
      signatureMismatches({ inputs: columns({ name: 'age', datatype: 'INT64', shape: [-1] }), outputs: null }, { inputs: [{ name: 'age', datatype: 'INT64', shape: [-1, 3] }], outputs: [] }),
    ).toEqual(["input 'age' has shape [-1,3], not one value per row as its column"]);
  });
});
