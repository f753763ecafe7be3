import { open } from 'node:fs/promises';
import { isAbsolute, normalize, sep } from 'node:path';
import { LENGTH_DELIMITED, ProtobufFileReader, VARINT, readVarint } from './protobuf-file.reader';

export interface OnnxModelScan {
  /** Sum of the element counts of the main graph's initializers. */
  parameterCount: number;
  /** Every `external_data` location named by a tensor anywhere in the model (graph, nodes, subgraphs). */
  externalDataLocations: string[];
  /**
   * The largest tensor the file declares (initializers, sparse initializers by their dense shape,
   * node attributes such as a Constant's value), by its dims: what onnxruntime allocates for it
   * at load, whatever bytes the file actually carries. Null when the model has none.
   */
  largestTensor: ScannedTensor | null;
}

export interface ScannedTensor {
  name: string;
  elements: number;
  bytes: number;
}

/** The scan met something it cannot read: the model is refused (fail closed), with this reason. */
export class ModelScanError extends Error {}

// onnx.proto field numbers.
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_SPARSE_INITIALIZER = 15;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_T = 5;
const ATTRIBUTE_G = 6;
const ATTRIBUTE_TENSORS = 10;
const ATTRIBUTE_GRAPHS = 11;
const ATTRIBUTE_SPARSE_TENSOR = 22;
const ATTRIBUTE_SPARSE_TENSORS = 23;
const SPARSE_VALUES = 1;
const SPARSE_INDICES = 2;
const SPARSE_DIMS = 3;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_NAME = 8;
const TENSOR_EXTERNAL_DATA = 13;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;
/** The keys onnx.proto defines for a tensor's external_data; any other is refused. */
const EXTERNAL_DATA_KEYS = new Set(['location', 'offset', 'length', 'checksum']);
/** An external_data entry is a short key and a path or a number; larger is not one. */
const MAX_ENTRY_BYTES = 64 * 1024;
const MAX_NAME_BYTES = 4096;
/** Bytes per element of each TensorProto.DataType (4-bit types rounded up; unknown types count 8). */
const ELEMENT_BYTES: Record<number, number> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  8: 8,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  14: 8,
  15: 16,
  16: 2,
  17: 1,
  18: 1,
  19: 1,
  20: 1,
  21: 1,
  22: 1,
  23: 1,
};
/** Deeper nesting than this is no real model: refuse to recurse further. */
const MAX_DEPTH = 32;

/**
 * Walks a model file's protobuf structure with positioned reads, skipping every weight by its
 * length: the file is read for structure only (a few KiB for a 100 MB model), never loaded. It
 * finds the parameter count, the external-data locations onnxruntime would open and the largest
 * declared tensor, so those can be checked before onnxruntime is allowed near the file. It fails
 * closed: whatever it cannot parse (a malformed field, an external_data entry with an unknown
 * field or key) rejects with a ModelScanError naming it, never a silent skip.
 */
export async function scanOnnxModel(path: string): Promise<OnnxModelScan> {
  const file = await open(path, 'r');
  try {
    const reader = new ProtobufFileReader(file);
    const scan: OnnxModelScan = { parameterCount: 0, externalDataLocations: [], largestTensor: null };
    for await (const f of reader.fields(0, (await file.stat()).size)) {
      if (f.field === MODEL_GRAPH && f.wireType === LENGTH_DELIMITED) await walkGraph(reader, f.start, f.end, scan, 0, true);
    }
    return scan;
  } catch (error) {
    if (error instanceof ModelScanError) throw error;
    throw new ModelScanError((error as Error).message, { cause: error });
  } finally {
    await file.close();
  }
}

/**
 * Whether an external-data location leaves the model's own folder: absolute paths, drive
 * letters and `..` segments do (onnxruntime resolves a location against the model's folder).
 */
export function externalDataEscapes(location: string): boolean {
  if (location.length === 0 || location.includes('\0')) return true;
  const unified = location.replace(/\\/g, '/');
  if (isAbsolute(unified) || /^[a-zA-Z]:/.test(unified) || unified.startsWith('/')) return true;
  const normalized = normalize(unified).split(sep).join('/');
  return normalized === '..' || normalized.startsWith('../');
}

async function walkGraph(reader: ProtobufFileReader, start: number, end: number, scan: OnnxModelScan, depth: number, main: boolean): Promise<void> {
  if (depth > MAX_DEPTH) throw new ModelScanError('model graphs nest too deeply');
  for await (const f of reader.fields(start, end)) {
    if (f.wireType !== LENGTH_DELIMITED) continue;
    if (f.field === GRAPH_INITIALIZER) {
      const { elements } = await walkTensor(reader, f.start, f.end, scan);
      if (main) scan.parameterCount += elements;
    } else if (f.field === GRAPH_SPARSE_INITIALIZER) {
      await walkSparseTensor(reader, f.start, f.end, scan);
    } else if (f.field === GRAPH_NODE) {
      for await (const n of reader.fields(f.start, f.end)) {
        if (n.field === NODE_ATTRIBUTE && n.wireType === LENGTH_DELIMITED) await walkAttribute(reader, n.start, n.end, scan, depth);
      }
    }
  }
}

async function walkAttribute(reader: ProtobufFileReader, start: number, end: number, scan: OnnxModelScan, depth: number): Promise<void> {
  for await (const a of reader.fields(start, end)) {
    if (a.wireType !== LENGTH_DELIMITED) continue;
    if (a.field === ATTRIBUTE_T || a.field === ATTRIBUTE_TENSORS) await walkTensor(reader, a.start, a.end, scan);
    else if (a.field === ATTRIBUTE_SPARSE_TENSOR || a.field === ATTRIBUTE_SPARSE_TENSORS) await walkSparseTensor(reader, a.start, a.end, scan);
    else if (a.field === ATTRIBUTE_G || a.field === ATTRIBUTE_GRAPHS) await walkGraph(reader, a.start, a.end, scan, depth + 1, false);
  }
}

/** onnxruntime makes a sparse tensor dense at load: its dims, not its values, say what it costs. */
async function walkSparseTensor(reader: ProtobufFileReader, start: number, end: number, scan: OnnxModelScan): Promise<void> {
  let dense = 1;
  let dataType = 0;
  let name = '';
  for await (const s of reader.fields(start, end)) {
    if (s.field === SPARSE_DIMS) dense *= await dimsOf(reader, s);
    else if (s.wireType === LENGTH_DELIMITED && (s.field === SPARSE_VALUES || s.field === SPARSE_INDICES)) {
      const tensor = await walkTensor(reader, s.start, s.end, scan);
      if (s.field === SPARSE_VALUES) ({ dataType, name } = tensor);
    }
  }
  record(scan, name, dense, dataType);
}

/** Records the tensor's external-data location and size, and returns its element count and type. */
async function walkTensor(reader: ProtobufFileReader, start: number, end: number, scan: OnnxModelScan): Promise<{ elements: number; dataType: number; name: string }> {
  let elements = 1;
  let dataType = 0;
  let name = '';
  for await (const t of reader.fields(start, end)) {
    if (t.field === TENSOR_DIMS) {
      elements *= await dimsOf(reader, t);
    } else if (t.field === TENSOR_DATA_TYPE && t.wireType === VARINT) {
      dataType = t.varint;
    } else if (t.field === TENSOR_NAME && t.wireType === LENGTH_DELIMITED) {
      name = (await reader.read(t.start, Math.min(t.end - t.start, MAX_NAME_BYTES))).toString('utf8');
    } else if (t.field === TENSOR_EXTERNAL_DATA) {
      if (t.wireType !== LENGTH_DELIMITED) throw new ModelScanError(`tensor '${name}': external_data is not an entry (wire type ${t.wireType})`);
      if (t.end - t.start > MAX_ENTRY_BYTES) throw new ModelScanError(`tensor '${name}': an external_data entry of ${t.end - t.start} bytes (at most ${MAX_ENTRY_BYTES})`);
      const entry = parseEntry(await reader.read(t.start, t.end - t.start), name);
      if (entry.key === 'location') scan.externalDataLocations.push(entry.value);
    }
  }
  record(scan, name, elements, dataType);
  return { elements, dataType, name };
}

/** The product of a dims field, packed or not (a negative dim reads as a huge one: refused by the policy). */
async function dimsOf(reader: ProtobufFileReader, field: { wireType: number; varint: number; start: number; end: number }): Promise<number> {
  if (field.wireType === VARINT) return field.varint;
  if (field.wireType !== LENGTH_DELIMITED) throw new ModelScanError(`tensor dims of wire type ${field.wireType}`);
  const packed = await reader.read(field.start, field.end - field.start);
  let product = 1;
  for (let at = 0; at < packed.length;) {
    const dim = readVarint(packed, at);
    if (!dim) throw new ModelScanError('malformed tensor dims');
    product *= dim.value;
    at += dim.bytes;
  }
  return product;
}

function record(scan: OnnxModelScan, name: string, elements: number, dataType: number): void {
  const bytes = elements * (ELEMENT_BYTES[dataType] ?? 8);
  if (!scan.largestTensor || bytes > scan.largestTensor.bytes) scan.largestTensor = { name, elements, bytes };
}

/** A StringStringEntryProto: `key` and `value`, nothing else; anything else is refused. */
function parseEntry(bytes: Buffer, tensor: string): { key: string; value: string } {
  let key = '';
  let value = '';
  const refuse = (why: string) => new ModelScanError(`tensor '${tensor}': unreadable external_data entry (${why})`);
  for (let at = 0; at < bytes.length;) {
    const tag = readVarint(bytes, at);
    if (!tag) throw refuse('malformed field key');
    const field = Math.floor(tag.value / 8);
    if (tag.value % 8 !== LENGTH_DELIMITED || (field !== ENTRY_KEY && field !== ENTRY_VALUE)) throw refuse(`unknown field ${field} of wire type ${tag.value % 8}`);
    at += tag.bytes;
    const length = readVarint(bytes, at);
    if (!length || at + length.bytes + length.value > bytes.length) throw refuse('truncated');
    at += length.bytes;
    const text = bytes.toString('utf8', at, at + length.value);
    if (field === ENTRY_KEY) key = text;
    else value = text;
    at += length.value;
  }
  if (!EXTERNAL_DATA_KEYS.has(key)) throw refuse(`unknown key '${key.slice(0, 100)}'`);
  return { key, value };
}
