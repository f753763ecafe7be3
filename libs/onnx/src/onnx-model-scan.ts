import { open } from 'node:fs/promises';
import { isAbsolute, normalize, sep } from 'node:path';
import { LENGTH_DELIMITED, ProtobufFileReader, VARINT, readVarint } from './protobuf-file.reader';

export interface OnnxModelScan {
  /** Sum of the element counts of the main graph's initializers. */
  parameterCount: number;
  /** Every `external_data` location named by a tensor anywhere in the model (graph, nodes, subgraphs). */
  externalDataLocations: string[];
}

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
const SPARSE_VALUES = 1;
const SPARSE_INDICES = 2;
const TENSOR_DIMS = 1;
const TENSOR_EXTERNAL_DATA = 13;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;
/** Deeper nesting than this is no real model: refuse to recurse further. */
const MAX_DEPTH = 32;

/**
 * Walks a model file's protobuf structure with positioned reads, skipping every weight by its
 * length: the file is read for structure only (a few KiB for a 100 MB model), never loaded. It
 * finds the parameter count and the external-data locations onnxruntime would open, so those
 * can be checked before onnxruntime is allowed near the file.
 */
export async function scanOnnxModel(path: string): Promise<OnnxModelScan> {
  const file = await open(path, 'r');
  try {
    const reader = new ProtobufFileReader(file);
    const scan: OnnxModelScan = { parameterCount: 0, externalDataLocations: [] };
    for await (const f of reader.fields(0, (await file.stat()).size)) {
      if (f.field === MODEL_GRAPH && f.wireType === LENGTH_DELIMITED) await walkGraph(reader, f.start, f.end, scan, 0, true);
    }
    return scan;
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
  if (depth > MAX_DEPTH) throw new Error('model graphs nest too deeply');
  for await (const f of reader.fields(start, end)) {
    if (f.wireType !== LENGTH_DELIMITED) continue;
    if (f.field === GRAPH_INITIALIZER) {
      const elements = await walkTensor(reader, f.start, f.end, scan);
      if (main) scan.parameterCount += elements;
    } else if (f.field === GRAPH_SPARSE_INITIALIZER) {
      for await (const s of reader.fields(f.start, f.end)) {
        if (s.wireType === LENGTH_DELIMITED && (s.field === SPARSE_VALUES || s.field === SPARSE_INDICES)) await walkTensor(reader, s.start, s.end, scan);
      }
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
    else if (a.field === ATTRIBUTE_G || a.field === ATTRIBUTE_GRAPHS) await walkGraph(reader, a.start, a.end, scan, depth + 1, false);
  }
}

/** Records the tensor's external-data location, if any, and returns its element count. */
async function walkTensor(reader: ProtobufFileReader, start: number, end: number, scan: OnnxModelScan): Promise<number> {
  let elements = 1;
  for await (const t of reader.fields(start, end)) {
    if (t.field === TENSOR_DIMS && t.wireType === VARINT) {
      elements *= t.varint;
    } else if (t.field === TENSOR_DIMS && t.wireType === LENGTH_DELIMITED) {
      const packed = await reader.read(t.start, t.end - t.start);
      for (let at = 0; at < packed.length; ) {
        const dim = readVarint(packed, at);
        if (!dim) throw new Error('malformed tensor dims');
        elements *= dim.value;
        at += dim.bytes;
      }
    } else if (t.field === TENSOR_EXTERNAL_DATA && t.wireType === LENGTH_DELIMITED && t.end - t.start <= 64 * 1024) {
      const entry = parseEntry(await reader.read(t.start, t.end - t.start));
      if (entry?.key === 'location') scan.externalDataLocations.push(entry.value);
    }
  }
  return elements;
}

function parseEntry(bytes: Buffer): { key: string; value: string } | undefined {
  let key = '';
  let value = '';
  for (let at = 0; at < bytes.length; ) {
    const tag = readVarint(bytes, at);
    if (!tag || tag.value % 8 !== LENGTH_DELIMITED) return undefined;
    at += tag.bytes;
    const length = readVarint(bytes, at);
    if (!length) return undefined;
    at += length.bytes;
    const text = bytes.toString('utf8', at, at + length.value);
    if (Math.floor(tag.value / 8) === ENTRY_KEY) key = text;
    else if (Math.floor(tag.value / 8) === ENTRY_VALUE) value = text;
    at += length.value;
  }
  return { key, value };
}
