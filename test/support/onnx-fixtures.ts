import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** An FP32 tensor's name and shape; a string is a named dynamic dimension. */
function floatInput(name: string, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) => (typeof d === 'string' ? onnx.TensorShapeProto.Dimension.create({ dimParam: d }) : onnx.TensorShapeProto.Dimension.create({ dimValue: d }))),
        }),
      }),
    }),
  });
}

/** A one-graph model file (opset 17, IR 8), as onnxruntime and the registry read it. */
function encodeModel(graph: InstanceType<typeof onnx.GraphProto>): Buffer {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'falaj-e2e',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 17 })],
    graph,
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

/** `y = x + w` with `w` an initializer of `elements` floats: a valid model of any size (4 bytes per element). */
export function addModel(elements: number, external?: string): Buffer {
  const weight = onnx.TensorProto.create({
    name: 'w',
    dims: [elements],
    dataType: onnx.TensorProto.DataType.FLOAT,
    ...(external === undefined
      ? { rawData: Buffer.alloc(elements * 4) }
      : { dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: [onnx.StringStringEntryProto.create({ key: 'location', value: external })] }),
  });
  const graph = onnx.GraphProto.create({
    name: 'add',
    node: [onnx.NodeProto.create({ opType: 'Add', input: ['x', 'w'], output: ['y'], name: 'add' })],
    initializer: [weight],
    input: [floatInput('x', [elements])],
    output: [floatInput('y', [elements])],
  });
  return encodeModel(graph);
}

/**
 * A model that loads and reports ready, with the tiny MLP's input (`input` FP32 `[batch, 4]`),
 * and fails every run: it reshapes 4·batch values to `[3]`, which onnxruntime refuses at run
 * time. The canary a rollout must roll back by itself.
 */
export function brokenModel(): Buffer {
  const shape = onnx.TensorProto.create({ name: 'shape', dims: [1], dataType: onnx.TensorProto.DataType.INT64, int64Data: [3] });
  const graph = onnx.GraphProto.create({
    name: 'broken',
    node: [onnx.NodeProto.create({ opType: 'Reshape', input: ['input', 'shape'], output: ['probabilities'], name: 'reshape' })],
    initializer: [shape],
    input: [floatInput('input', ['batch', 4])],
    output: [floatInput('probabilities', [3])],
  });
  return encodeModel(graph);
}
