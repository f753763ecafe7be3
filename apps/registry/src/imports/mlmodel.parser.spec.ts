import { ImportsError } from './imports.exception';
import { MAX_MLMODEL_BYTES, parseMetricsFile, parseMlModel } from './mlmodel.parser';

/** An MLmodel as MLflow 2.x writes it for `mlflow.onnx.log_model` (signature inputs/outputs are JSON strings). */
const MLMODEL = `artifact_path: model
flavors:
  onnx:
    code: null
    data: model.onnx
    onnx_version: 1.16.0
    providers:
    - CUDAExecutionProvider
    - CPUExecutionProvider
  python_function:
    data: model.onnx
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.onnx
    python_version: 3.11.7
mlflow_version: 2.12.1
model_size_bytes: 1033
model_uuid: 3f2a9c1b8d7e4f60a1b2c3d4e5f60718
run_id: 8f3e0c5d2b1a49e7b6c5d4e3f2a1b0c9
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}, "name": "input"}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}, "name": "probabilities"}]'
  params: null
utc_time_created: '2026-11-28 12:00:00.123456'
metadata:
  metrics:
    auc: 0.941
    logloss: 0.22
`;

/** The ImportsError a parse throws (fails the test when it throws none). */
function refusal(text: string): ImportsError {
  try {
    parseMlModel(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ImportsError);
    return error as ImportsError;
  }
  throw new Error('expected the MLmodel to be refused');
}

const withOnnx = (flavor: string) => `flavors:\n  onnx:\n${flavor}\n`;

describe('parseMlModel', () => {
  it('reads the flavor, model file, run, uuid, time, version, signature and metrics MLflow writes', () => {
    expect(parseMlModel(MLMODEL)).toEqual({
      flavor: 'onnx',
      modelFile: 'model.onnx',
      runId: '8f3e0c5d2b1a49e7b6c5d4e3f2a1b0c9',
      modelUuid: '3f2a9c1b8d7e4f60a1b2c3d4e5f60718',
      createdAt: '2026-11-28T12:00:00.123Z',
      mlflowVersion: '2.12.1',
      artifactPath: 'model',
      signature: {
        inputs: { kind: 'tensor', specs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }] },
        outputs: { kind: 'tensor', specs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }] },
      },
      metrics: { auc: 0.941, logloss: 0.22 },
    });
  });

  it('takes model_file, normalises ./ and repeated slashes, and reads an unsigned model', () => {
    expect(parseMlModel(withOnnx('    model_file: ./sub//m.onnx'))).toMatchObject({ flavor: 'onnx', modelFile: 'sub/m.onnx', signature: null, metrics: {} });
  });

  it('takes python_function when its loader is mlflow.onnx, and refuses any other loader naming the field', () => {
    expect(parseMlModel('flavors:\n  python_function:\n    loader_module: mlflow.onnx\n    data: model.onnx\n')).toMatchObject({ flavor: 'python_function', modelFile: 'model.onnx' });
    expect(refusal('flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n').message).toBe(
      "invalid MLflow model: flavors.python_function.loader_module: 'mlflow.sklearn' does not load an ONNX model; only mlflow.onnx does",
    );
    expect(refusal('flavors:\n  sklearn:\n    pickled_model: model.pkl\n').message).toContain('flavors: no onnx flavor (found: sklearn)');
  });

  it('maps every numpy dtype and MLflow column type to its OIP datatype', () => {
    const dtypes = ['bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float16', 'float32', 'float64', 'object', 'str', 'bytes'];
    const inputs = JSON.stringify(dtypes.map((dtype) => ({ type: 'tensor', 'tensor-spec': { dtype, shape: [-1] } })));
    const parsed = parseMlModel(`${withOnnx('    data: m.onnx')}signature:\n  inputs: '${inputs}'\n`);
    expect(parsed.signature?.inputs?.specs.map((s) => s.datatype)).toEqual([
      'BOOL',
      'INT8',
      'INT16',
      'INT32',
      'INT64',
      'UINT8',
      'UINT16',
      'UINT32',
      'UINT64',
      'FP16',
      'FP32',
      'FP64',
      'BYTES',
      'BYTES',
      'BYTES',
    ]);
    const columns = JSON.stringify(['boolean', 'integer', 'long', 'float', 'double', 'string', 'binary'].map((type, i) => ({ type, name: `c${i}` })));
    const byColumn = parseMlModel(`${withOnnx('    data: m.onnx')}signature:\n  inputs: '${columns}'\n`);
    expect(byColumn.signature?.inputs).toEqual({
      kind: 'columns',
      specs: ['BOOL', 'INT32', 'INT64', 'FP32', 'FP64', 'BYTES', 'BYTES'].map((datatype, i) => ({ name: `c${i}`, datatype, shape: [-1] })),
    });
  });

  it('refuses an unknown dtype or column type with a 400 naming the field', () => {
    const complex = refusal(`${withOnnx('    data: m.onnx')}signature:\n  inputs: '[{"type":"tensor","tensor-spec":{"dtype":"complex64","shape":[2]}}]'\n`);
    expect(complex.status).toBe(400);
    expect(complex.code).toBe('invalid_mlmodel');
    expect(complex.message).toMatch(/^invalid MLflow model: signature\.inputs\[0\]\.tensor-spec\.dtype: unknown dtype 'complex64'/);
    expect(refusal(`${withOnnx('    data: m.onnx')}signature:\n  outputs: '[{"type":"datetime","name":"at"}]'\n`).message).toMatch(/signature\.outputs\[0\]\.type: unknown type 'datetime'/);
    // Inherited object keys are not dtypes.
    expect(refusal(`${withOnnx('    data: m.onnx')}signature:\n  inputs: '[{"type":"tensor","tensor-spec":{"dtype":"constructor","shape":[2]}}]'\n`).message).toContain("unknown dtype 'constructor'");
    expect(refusal(`${withOnnx('    data: m.onnx')}signature:\n  inputs: '[{"type":"toString"}]'\n`).message).toContain("unknown type 'toString'");
  });

  it('refuses malformed signatures: not JSON, not a list, bad shapes, mixed kinds', () => {
    const sig = (inputs: string) => refusal(`${withOnnx('    data: m.onnx')}signature:\n  inputs: '${inputs}'\n`).message;
    expect(sig('[{"type":')).toContain('signature.inputs: not a JSON list of specs');
    expect(sig('{"type":"tensor"}')).toContain('signature.inputs: not a list of specs');
    expect(sig('[{"type":"tensor","tensor-spec":{"dtype":"float32","shape":[-2]}}]')).toContain('signature.inputs[0].tensor-spec.shape[0]');
    expect(sig('[{"type":"tensor","tensor-spec":{"dtype":"float32","shape":[1.5]}}]')).toContain('shape[0]');
    expect(sig('[{"type":"tensor","tensor-spec":{"dtype":"float32"}}]')).toContain('tensor-spec.shape: not a list');
    expect(sig(`[{"type":"tensor","tensor-spec":{"dtype":"float32","shape":[${Array(33).fill(1).join(',')}]}}]`)).toContain('more than 32 dimensions');
    expect(sig('[{"type":"double","name":"a"},{"type":"tensor","tensor-spec":{"dtype":"float32","shape":[1]}}]')).toContain('mixes tensor and column specs');
    expect(sig(JSON.stringify(Array(257).fill({ type: 'double' })))).toContain('more than 256 specs');
  });

  it.each([
    ['../../etc/passwd', "the path leaves the model directory ('..')"],
    ['sub/../../model.onnx', "the path leaves the model directory ('..')"],
    ['/etc/passwd', 'the path is absolute'],
    ['C:/Windows/model.onnx', 'the path starts with a drive letter'],
    ['..\\\\model.onnx', 'the path contains a backslash'],
    ['"model\\u0000.onnx"', 'the path contains a control character'],
    ['"."', 'the path names no file'],
  ])('refuses the model file %s (%s)', (path, reason) => {
    const error = refusal(withOnnx(`    data: ${path}`));
    expect(error.status).toBe(400);
    expect(error.message).toContain('flavors.onnx.data');
    expect(error.message).toContain(reason);
  });

  it('refuses a missing or non-string model file and a flavors that is not a mapping', () => {
    expect(refusal(withOnnx('    onnx_version: 1.16.0')).message).toBe('invalid MLflow model: flavors.onnx.model_file: missing, or not a string');
    expect(refusal(withOnnx('    data: [a, b]')).message).toContain('flavors.onnx.data: missing, or not a string');
    expect(refusal('flavors: [onnx]\n').message).toBe('invalid MLflow model: flavors: not a mapping');
    expect(refusal('run_id: abc\n').message).toBe('invalid MLflow model: flavors: missing');
    expect(refusal('- just\n- a list\n').message).toBe('invalid MLflow model: MLmodel: not a mapping');
  });

  it('refuses YAML aliases (a billion-laughs bomb) without expanding them', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const started = Date.now();
    const error = refusal(`${withOnnx('    data: m.onnx')}metadata:\n${levels.map((l) => `  ${l}`).join('\n')}\n`);
    expect(error.message).toContain('uses YAML aliases');
    expect(Date.now() - started).toBeLessThan(1000);
    // A merge key is an alias too; the core schema does not merge it.
    expect(refusal(`base: &b {data: m.onnx}\nflavors:\n  onnx: *b\n`).message).toContain('uses YAML aliases');
  });

  it('refuses a file over the size limit before parsing, deep nesting, and JS-typed YAML', () => {
    expect(refusal(`${withOnnx('    data: m.onnx')}# ${'x'.repeat(MAX_MLMODEL_BYTES)}\n`).message).toBe(`invalid MLflow model: MLmodel: larger than ${MAX_MLMODEL_BYTES} bytes`);
    expect(refusal(`${withOnnx('    data: m.onnx')}metadata: ${'['.repeat(40)}${']'.repeat(40)}\n`).message).toContain('nested deeper than 16 levels');
    expect(refusal(`${withOnnx('    data: m.onnx')}x: !!js/function 'function () {}'\n`).message).toMatch(/MLmodel: not YAML/);
    expect(refusal('flavors: {onnx: {data: m.onnx}\n').message).toMatch(/MLmodel: not YAML/);
  });

  it('refuses run ids, uuids and times that are not what MLflow writes', () => {
    expect(refusal(`${withOnnx('    data: m.onnx')}run_id: "x; DROP TABLE"\n`).message).toContain("run_id: 'x; DROP TABLE' is not a valid value");
    expect(refusal(`${withOnnx('    data: m.onnx')}model_uuid: ${'a'.repeat(65)}\n`).message).toContain('model_uuid');
    expect(refusal(`${withOnnx('    data: m.onnx')}utc_time_created: yesterday\n`).message).toContain('utc_time_created: not a UTC time');
    expect(parseMlModel(`${withOnnx('    data: m.onnx')}utc_time_created: 1764331200\n`).createdAt).toBe('2025-11-28T12:00:00.000Z');
  });

  it('refuses metadata metrics that are not finite numbers, naming the metric', () => {
    expect(refusal(`${withOnnx('    data: m.onnx')}metadata:\n  metrics:\n    auc: high\n`).message).toBe('invalid MLflow model: metadata.metrics.auc: not a finite number');
    expect(refusal(`${withOnnx('    data: m.onnx')}metadata:\n  metrics:\n    auc: .nan\n`).message).toContain('metadata.metrics.auc');
    expect(refusal(`${withOnnx('    data: m.onnx')}metadata:\n  metrics: [1, 2]\n`).message).toContain('metadata.metrics: not a mapping');
  });
});

describe('parseMetricsFile', () => {
  it('reads an object of numbers', () => {
    expect(parseMetricsFile('{"auc":0.9,"f1":0.8}')).toEqual({ auc: 0.9, f1: 0.8 });
  });

  it('refuses non-JSON, non-numbers, too many metrics and a file over the limit', () => {
    expect(() => parseMetricsFile('auc=0.9')).toThrow('metrics.json: not JSON');
    expect(() => parseMetricsFile('{"auc":"0.9"}')).toThrow('metrics.json.auc: not a finite number');
    expect(() => parseMetricsFile(JSON.stringify(Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`m${i}`, i]))))).toThrow('more than 200 metrics');
    expect(() => parseMetricsFile(JSON.stringify({ [''.padEnd(201, 'k')]: 1 }))).toThrow('1 to 200 characters');
    expect(() => parseMetricsFile(' '.repeat(64 * 1024 + 1))).toThrow('larger than 65536 bytes');
  });
});
