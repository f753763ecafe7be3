import { CORE_SCHEMA, YAMLException, load } from 'js-yaml';
import type { OipDatatype } from '@falaj/contracts';
import { normalisedPath, pathProblem } from './import-path.policy';
import { ImportsError } from './imports.exception';

/** Largest MLmodel file read (MLflow writes a few KiB). */
export const MAX_MLMODEL_BYTES = 256 * 1024;
/** Largest metrics file read (`metrics.json` beside MLmodel). */
export const MAX_METRICS_BYTES = 64 * 1024;
/** Metrics kept at most; names of 200 characters at most (as lineage). */
export const MAX_METRICS = 200;
/** Tensor or column specs one side of a signature may declare. */
export const MAX_SIGNATURE_SPECS = 256;
/** Dimensions of one declared tensor at most. */
export const MAX_RANK = 32;
/** Nesting of the YAML document at most: MLflow's is 4 deep. */
const MAX_DEPTH = 16;

/** One declared input or output, in OIP terms: a column is one value per row (shape [-1]). */
export interface DeclaredTensor {
  name?: string;
  datatype: OipDatatype;
  shape: number[];
}

/** One side of an MLflow signature: tensor specs, or the columns of a DataFrame. */
export interface DeclaredTensors {
  kind: 'tensor' | 'columns';
  specs: DeclaredTensor[];
}

export interface DeclaredSignature {
  inputs: DeclaredTensors | null;
  outputs: DeclaredTensors | null;
}

/** What an MLflow `MLmodel` says about an ONNX model, checked. */
export interface MlModel {
  /** The flavor the model file was taken from. */
  flavor: 'onnx' | 'python_function';
  /** The ONNX file, relative to the model directory, normalised; never leaves it. */
  modelFile: string;
  runId?: string;
  modelUuid?: string;
  /** `utc_time_created`, as an ISO 8601 instant. */
  createdAt?: string;
  mlflowVersion?: string;
  artifactPath?: string;
  signature: DeclaredSignature | null;
  /** `metadata.metrics`, when the MLmodel carries any. */
  metrics: Record<string, number>;
}

const NUMPY_DTYPES: Record<string, OipDatatype> = {
  bool: 'BOOL',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  // Python strings and bytes (numpy's object, str_ and bytes_): ONNX string tensors.
  object: 'BYTES',
  str: 'BYTES',
  bytes: 'BYTES',
};

/** MLflow's column types (mlflow.types.DataType); datetime has no ONNX counterpart. */
const COLUMN_TYPES: Record<string, OipDatatype> = {
  boolean: 'BOOL',
  integer: 'INT32',
  long: 'INT64',
  float: 'FP32',
  double: 'FP64',
  string: 'BYTES',
  binary: 'BYTES',
};

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const VERSION = /^[A-Za-z0-9.+_-]{1,64}$/;
const UTC_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]00:?00)?$/;

/**
 * An MLflow `MLmodel` file, read as YAML's core schema (no JS types, no timestamps, no merge keys)
 * within a size limit, refusing aliases and deep nesting (a YAML bomb expands only when its
 * shared nodes are walked, and is refused before). The ONNX file comes from the `onnx` flavor
 * (`data`, or `model_file`), else from `python_function` loaded by `mlflow.onnx`; anything else is
 * not an ONNX model and refused. Every refusal is a 400 naming the field.
 */
export function parseMlModel(text: string): MlModel {
  if (Buffer.byteLength(text) > MAX_MLMODEL_BYTES) throw ImportsError.invalidMlModel('MLmodel', `larger than ${MAX_MLMODEL_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = load(text, { schema: CORE_SCHEMA, json: false, filename: 'MLmodel' });
  } catch (error) {
    const reason = error instanceof YAMLException ? error.reason || error.message : (error as Error).message;
    throw ImportsError.invalidMlModel('MLmodel', `not YAML (${reason})`);
  }
  refuseSharedNodes(doc, 'MLmodel');
  const root = record(doc, 'MLmodel');
  const flavors = record(root.flavors, 'flavors');
  const { flavor, modelFile } = modelFileOf(flavors);
  const metadata = root.metadata === undefined || root.metadata === null ? {} : record(root.metadata, 'metadata');
  return {
    flavor,
    modelFile,
    ...optional('runId', matching(root.run_id, 'run_id', ID)),
    ...optional('modelUuid', matching(root.model_uuid, 'model_uuid', ID)),
    ...optional('createdAt', utcTime(root.utc_time_created)),
    ...optional('mlflowVersion', matching(root.mlflow_version, 'mlflow_version', VERSION)),
    ...optional('artifactPath', matching(root.artifact_path, 'artifact_path', /^[^\u0000-\u001f]{1,200}$/)),
    signature: root.signature === undefined || root.signature === null ? null : signatureOf(root.signature),
    metrics: metadata.metrics === undefined || metadata.metrics === null ? {} : parseMetrics(metadata.metrics, 'metadata.metrics'),
  };
}

/** A `metrics.json` beside MLmodel: an object of metric name → number. */
export function parseMetricsFile(text: string): Record<string, number> {
  if (Buffer.byteLength(text) > MAX_METRICS_BYTES) throw ImportsError.invalidMlModel('metrics.json', `larger than ${MAX_METRICS_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw ImportsError.invalidMlModel('metrics.json', 'not JSON');
  }
  return parseMetrics(json, 'metrics.json');
}

function parseMetrics(value: unknown, field: string): Record<string, number> {
  const entries = Object.entries(record(value, field));
  if (entries.length > MAX_METRICS) throw ImportsError.invalidMlModel(field, `more than ${MAX_METRICS} metrics`);
  const metrics: Record<string, number> = {};
  for (const [name, metric] of entries) {
    if (name.length === 0 || name.length > 200) throw ImportsError.invalidMlModel(field, 'a metric name must have 1 to 200 characters');
    if (typeof metric !== 'number' || !Number.isFinite(metric)) throw ImportsError.invalidMlModel(`${field}.${name}`, 'not a finite number');
    metrics[name] = metric;
  }
  return metrics;
}

function modelFileOf(flavors: Record<string, unknown>): Pick<MlModel, 'flavor' | 'modelFile'> {
  if (flavors.onnx !== undefined) {
    const onnx = record(flavors.onnx, 'flavors.onnx');
    const field = onnx.data !== undefined ? 'flavors.onnx.data' : 'flavors.onnx.model_file';
    return { flavor: 'onnx', modelFile: relativePath(onnx.data ?? onnx.model_file, field) };
  }
  if (flavors.python_function !== undefined) {
    const pyfunc = record(flavors.python_function, 'flavors.python_function');
    if (pyfunc.loader_module !== 'mlflow.onnx') {
      throw ImportsError.invalidMlModel('flavors.python_function.loader_module', `'${printable(String(pyfunc.loader_module))}' does not load an ONNX model; only mlflow.onnx does`);
    }
    return { flavor: 'python_function', modelFile: relativePath(pyfunc.data ?? pyfunc.model_file, 'flavors.python_function.data') };
  }
  const names = Object.keys(flavors);
  throw ImportsError.invalidMlModel('flavors', `no onnx flavor (found: ${names.length ? names.slice(0, 10).join(', ') : 'none'}); only ONNX models are imported`);
}

function relativePath(value: unknown, field: string): string {
  if (typeof value !== 'string') throw ImportsError.invalidMlModel(field, 'missing, or not a string');
  const problem = pathProblem(value);
  if (problem) throw ImportsError.invalidMlModel(field, `'${printable(value)}': ${problem}`);
  return normalisedPath(value);
}

function signatureOf(value: unknown): DeclaredSignature {
  const signature = record(value, 'signature');
  return { inputs: tensorsOf(signature.inputs, 'signature.inputs'), outputs: tensorsOf(signature.outputs, 'signature.outputs') };
}

/** One side of a signature: MLflow writes it as a JSON string of a list of specs (a YAML list is taken too). */
function tensorsOf(value: unknown, field: string): DeclaredTensors | null {
  if (value === undefined || value === null) return null;
  let list: unknown = value;
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value);
    } catch {
      throw ImportsError.invalidMlModel(field, 'not a JSON list of specs');
    }
  }
  if (!Array.isArray(list)) throw ImportsError.invalidMlModel(field, 'not a list of specs');
  if (list.length > MAX_SIGNATURE_SPECS) throw ImportsError.invalidMlModel(field, `more than ${MAX_SIGNATURE_SPECS} specs`);
  if (list.length === 0) return null;
  const specs = list.map((item, i) => specOf(item, `${field}[${i}]`));
  const kinds = new Set(specs.map((s) => s.kind));
  if (kinds.size > 1) throw ImportsError.invalidMlModel(field, 'mixes tensor and column specs');
  return { kind: specs[0].kind, specs: specs.map((s) => s.tensor) };
}

function specOf(value: unknown, field: string): { kind: DeclaredTensors['kind']; tensor: DeclaredTensor } {
  const spec = record(value, field);
  const name = spec.name === undefined || spec.name === null ? undefined : matching(spec.name, `${field}.name`, /^[^\u0000-\u001f]{1,256}$/);
  if (spec.type === 'tensor') {
    const tensorSpec = record(spec['tensor-spec'], `${field}.tensor-spec`);
    const dtype = tensorSpec.dtype;
    const datatype = typeof dtype === 'string' && Object.hasOwn(NUMPY_DTYPES, dtype) ? NUMPY_DTYPES[dtype] : undefined;
    if (!datatype) throw ImportsError.invalidMlModel(`${field}.tensor-spec.dtype`, `unknown dtype '${printable(String(dtype))}' (known: ${Object.keys(NUMPY_DTYPES).join(', ')})`);
    return { kind: 'tensor', tensor: { ...optional('name', name), datatype, shape: shapeOf(tensorSpec.shape, `${field}.tensor-spec.shape`) } };
  }
  const type = spec.type;
  const datatype = typeof type === 'string' && Object.hasOwn(COLUMN_TYPES, type) ? COLUMN_TYPES[type] : undefined;
  if (!datatype) {
    throw ImportsError.invalidMlModel(`${field}.type`, `unknown type '${printable(String(type))}' (known: tensor, ${Object.keys(COLUMN_TYPES).join(', ')})`);
  }
  return { kind: 'columns', tensor: { ...optional('name', name), datatype, shape: [-1] } };
}

function shapeOf(value: unknown, field: string): number[] {
  if (!Array.isArray(value)) throw ImportsError.invalidMlModel(field, 'not a list of dimensions');
  if (value.length > MAX_RANK) throw ImportsError.invalidMlModel(field, `more than ${MAX_RANK} dimensions`);
  return value.map((d, i) => {
    if (!Number.isSafeInteger(d) || (d as number) < -1) throw ImportsError.invalidMlModel(`${field}[${i}]`, 'a dimension is a whole number ≥ 0, or -1 for a variable one');
    return d as number;
  });
}

function utcTime(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  // A number is a Unix time, as older MLflow versions write it.
  if (typeof value === 'number' && Number.isFinite(value) && value > 0 && value < 1e11) return new Date(value * 1000).toISOString();
  const match = typeof value === 'string' ? UTC_TIME.exec(value) : null;
  const instant = match ? new Date(`${match[1]}T${match[2]}${(match[3] ?? '').slice(0, 4)}Z`) : null;
  if (!instant || Number.isNaN(instant.getTime())) throw ImportsError.invalidMlModel('utc_time_created', 'not a UTC time (YYYY-MM-DD HH:MM:SS[.ffffff])');
  return instant.toISOString();
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw ImportsError.invalidMlModel(field, value === undefined ? 'missing' : 'not a mapping');
  return value as Record<string, unknown>;
}

function matching(value: unknown, field: string, pattern: RegExp): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw ImportsError.invalidMlModel(field, 'not a string');
  if (!pattern.test(value)) throw ImportsError.invalidMlModel(field, `'${printable(value)}' is not a valid value`);
  return value;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** A value quoted in an error: bounded, control characters escaped. */
function printable(value: string): string {
  const short = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return short.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Refuses a document whose nodes are shared (YAML aliases) or nested past MAX_DEPTH: walked once, never expanded. */
function refuseSharedNodes(doc: unknown, field: string): void {
  const seen = new Set<object>();
  const walk = (node: unknown, depth: number): void => {
    if (typeof node !== 'object' || node === null) return;
    if (depth > MAX_DEPTH) throw ImportsError.invalidMlModel(field, `nested deeper than ${MAX_DEPTH} levels`);
    if (seen.has(node)) throw ImportsError.invalidMlModel(field, 'uses YAML aliases (anchors referenced with *), which MLflow never writes');
    seen.add(node);
    for (const child of Array.isArray(node) ? node : Object.values(node)) walk(child, depth + 1);
  };
  walk(doc, 0);
}
