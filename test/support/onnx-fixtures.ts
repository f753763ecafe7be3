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

/**
 * `y = Expand(x, shape)`: `x` FP32 `[1]` broadcast to the INT64 `shape` `[rows, cols]` the request
 * sends, so the caller chooses the size of the answer (4·rows·cols bytes) with a 1-element input.
 */
export function expandModel(): Buffer {
  const int64Input = (name: string, dims: number[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: onnx.TensorProto.DataType.INT64,
          shape: onnx.TensorShapeProto.create({ dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create({ dimValue: d })) }),
        }),
      }),
    });
  const graph = onnx.GraphProto.create({
    name: 'expand',
    node: [onnx.NodeProto.create({ opType: 'Expand', input: ['x', 'shape'], output: ['y'], name: 'expand' })],
    input: [floatInput('x', [1]), int64Input('shape', [2])],
    output: [floatInput('y', ['rows', 'cols'])],
  });
  return encodeModel(graph);
}

/**
 * `output = input + offset` over the tiny MLP's input shape (`input` FP32 `[batch, 4]`): two
 * tenants' models of the same name whose answers tell at a glance whose model computed them.
 */
export function offsetModel(offset: number): Buffer {
  const weight = onnx.TensorProto.create({ name: 'offset', dims: [4], dataType: onnx.TensorProto.DataType.FLOAT, floatData: [offset, offset, offset, offset] });
  const graph = onnx.GraphProto.create({
    name: 'offset',
    node: [onnx.NodeProto.create({ opType: 'Add', input: ['input', 'offset'], output: ['output'], name: 'add' })],
    initializer: [weight],
    input: [floatInput('input', ['batch', 4])],
    output: [floatInput('output', ['batch', 4])],
  });
  return encodeModel(graph);
}

/**
 * The model bomb of issue 11: a few hundred bytes whose only node is a ConstantOfShape of a
 * constant shape. With graph optimisation on, onnxruntime folds it at session creation and
 * allocates the whole tensor (4·∏dims bytes) just to load the file.
 */
export function constantOfShapeBomb(dims: number[]): Buffer {
  const { node, shape } = constantOfShape(dims, 'y');
  const graph = onnx.GraphProto.create({
    name: 'bomb',
    node: [node],
    initializer: [shape],
    output: [onnx.ValueInfoProto.create({ name: 'y', type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: onnx.TensorProto.DataType.FLOAT }) }) })],
  });
  return encodeModel(graph);
}

/** A ConstantOfShape node of ones with its constant `shape` initializer: the core of both bombs. */
function constantOfShape(dims: number[], output: string) {
  const shape = onnx.TensorProto.create({ name: 'shape', dims: [dims.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: dims });
  const one = onnx.TensorProto.create({ name: 'value', dims: [1], dataType: onnx.TensorProto.DataType.FLOAT, floatData: [1] });
  const node = onnx.NodeProto.create({
    opType: 'ConstantOfShape',
    input: ['shape'],
    output: [output],
    attribute: [onnx.AttributeProto.create({ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: one })],
  });
  return { node, shape };
}

/**
 * A bomb in the middle of the graph: `ConstantOfShape(dims)` summed to a scalar by `ReduceSum`,
 * so no declared input, output or initializer is large; constant folding (graph optimisation on)
 * materialises the whole constant at session creation.
 */
export function foldingBomb(dims: number[]): Buffer {
  const { node, shape } = constantOfShape(dims, 'big');
  const graph = onnx.GraphProto.create({
    name: 'folding-bomb',
    node: [
      node,
      onnx.NodeProto.create({
        opType: 'ReduceSum',
        input: ['big'],
        output: ['s'],
        attribute: [onnx.AttributeProto.create({ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 })],
      }),
    ],
    initializer: [shape],
    output: [
      onnx.ValueInfoProto.create({
        name: 's',
        type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: onnx.TensorProto.DataType.FLOAT, shape: onnx.TensorShapeProto.create({ dim: [] }) }) }),
      }),
    ],
  });
  return encodeModel(graph);
}

/** `y = Identity(x)` with `x` FP32 of the given (declared) shape: a tiny file declaring any size of input. */
export function identityOfShape(dims: (number | string)[]): Buffer {
  const graph = onnx.GraphProto.create({
    name: 'identity',
    node: [onnx.NodeProto.create({ opType: 'Identity', input: ['x'], output: ['y'] })],
    input: [floatInput('x', dims)],
    output: [floatInput('y', dims)],
  });
  return encodeModel(graph);
}

/**
 * The tiny `addModel(4)` with an `external_data` entry the ONNX schema does not know: a field 3
 * (varint) after its key and value, spliced in as raw protobuf. The scan must refuse it rather
 * than skip it.
 */
export function malformedExternalDataModel(): Buffer {
  const entry = Buffer.concat([
    Buffer.from(onnx.StringStringEntryProto.encode(onnx.StringStringEntryProto.create({ key: 'location', value: 'w.bin' })).finish()),
    Buffer.from([0x18, 0x01]), // field 3, varint 1
  ]);
  // TensorProto: dims [4] (field 1), data_type FLOAT (field 2), name 'w' (field 8), data_location EXTERNAL (field 14), external_data (field 13).
  const tensor = Buffer.concat([Buffer.from([0x08, 0x04, 0x10, 0x01, 0x42, 0x01, 0x77, 0x70, 0x01, 0x6a, entry.length]), entry]);
  const graph = onnx.GraphProto.create({
    name: 'add',
    node: [onnx.NodeProto.create({ opType: 'Add', input: ['x', 'w'], output: ['y'], name: 'add' })],
    input: [floatInput('x', [4])],
    output: [floatInput('y', [4])],
  });
  const graphBytes = Buffer.concat([Buffer.from(onnx.GraphProto.encode(graph).finish()), Buffer.from([0x2a, tensor.length]), tensor]); // field 5: initializer
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'falaj-e2e', opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 17 })] });
  return Buffer.concat([Buffer.from(onnx.ModelProto.encode(model).finish()), Buffer.from([0x3a]), varint(graphBytes.length), graphBytes]); // field 7: graph
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return Buffer.from(bytes);
}

/** `y = Identity(x)` with `x` a STRING tensor `[n]` (OIP BYTES): a model that takes text. */
export function stringIdentity(): Buffer {
  const text = (name: string) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: onnx.TensorProto.DataType.STRING,
          shape: onnx.TensorShapeProto.create({ dim: [onnx.TensorShapeProto.Dimension.create({ dimParam: 'n' })] }),
        }),
      }),
    });
  const graph = onnx.GraphProto.create({
    name: 'text',
    node: [onnx.NodeProto.create({ opType: 'Identity', input: ['x'], output: ['y'] })],
    input: [text('x')],
    output: [text('y')],
  });
  return encodeModel(graph);
}

/**
 * `y = x + 0 * mean(E @ E)` with `E` an n×n matrix filled from the input's sum: answers its input
 * unchanged, and every run (any batch) costs one n×n matrix product, ~2n³ flops. E depends on the
 * input, so onnxruntime cannot fold it away at load: a model whose run time the test chooses.
 */
export function slowModel(n: number): Buffer {
  const f32 = (name: string, dims: number[], values: number[]) =>
    onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: Buffer.from(new Float32Array(values).buffer) });
  const i64 = (name: string, values: number[]) =>
    onnx.TensorProto.create({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: Buffer.from(new BigInt64Array(values.map(BigInt)).buffer) });
  const graph = onnx.GraphProto.create({
    name: 'slow',
    input: [floatInput('input', ['N', 4])],
    output: [floatInput('output', ['N', 4])],
    initializer: [i64('square', [n, n]), f32('zero', [1], [0])],
    node: [
      onnx.NodeProto.create({
        opType: 'ReduceSum',
        input: ['input'],
        output: ['sum'],
        attribute: [onnx.AttributeProto.create({ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 })],
      }),
      onnx.NodeProto.create({ opType: 'Expand', input: ['sum', 'square'], output: ['e'] }),
      onnx.NodeProto.create({ opType: 'MatMul', input: ['e', 'e'], output: ['product'] }),
      onnx.NodeProto.create({
        opType: 'ReduceMean',
        input: ['product'],
        output: ['mean'],
        attribute: [onnx.AttributeProto.create({ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 })],
      }),
      onnx.NodeProto.create({ opType: 'Mul', input: ['mean', 'zero'], output: ['nothing'] }),
      onnx.NodeProto.create({ opType: 'Add', input: ['input', 'nothing'], output: ['output'] }),
    ],
  });
  return encodeModel(graph);
}
